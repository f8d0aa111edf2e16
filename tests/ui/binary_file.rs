#[connector::connector("tests/ui/files/binary.yaml")]
mod demo {}

fn main() {}
