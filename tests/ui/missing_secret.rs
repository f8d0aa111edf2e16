// Secrets is typed: every secret the spec references must be given.
#[connector::connector("specs/meetings.yaml")]
mod meetings {}

fn main() {
    let _ = meetings::Secrets {
        client_id: "id".into(),
        client_secret: "secret".into(),
    };
}
