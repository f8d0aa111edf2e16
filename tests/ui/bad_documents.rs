// Schema document problems: a missing file, a pointer to nothing, a pointer to a non-object,
// and an unsupported construct; each names the spec's line and the document's line and pointer.
#[connector::connector("tests/ui/files/bad_documents.yaml")]
mod bad {}

fn main() {}
