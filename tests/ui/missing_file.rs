#[connector::connector("tests/ui/files/no_such_spec.yaml")]
mod demo {}

fn main() {}
