#[connector::connector("tests/ui/files/empty.yaml")]
mod demo {}

fn main() {}
