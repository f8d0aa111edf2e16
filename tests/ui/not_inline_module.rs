#[connector::connector("specs/meetings.yaml")]
mod demo;

fn main() {}
