#[connector::connector("tests/ui/files/not_yaml.yaml")]
mod demo {}

fn main() {}
