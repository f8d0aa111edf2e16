// A recorded response that does not fit the declared columns fails the build, naming the
// sample file, the record and the field.
#[connector::connector("tests/ui/files/with_samples.yaml")]
mod demo {}

fn main() {}
