// User code may only read fields the spec declares; the rest is in `extra`.
#[connector::connector("specs/meetings.yaml")]
mod meetings {}

fn phone(user: &meetings::types::User) -> &str {
    &user.phone
}

fn main() {}
