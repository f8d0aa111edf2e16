#[connector::connector(file = "specs/meetings.yaml")]
mod demo {}

fn main() {}
