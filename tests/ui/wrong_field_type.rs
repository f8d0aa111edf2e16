// `meetings.id` is a bigint: the record field is an i64.
#[connector::connector("specs/meetings.yaml")]
mod meetings {}

fn id(meeting: &meetings::types::Meeting) -> String {
    meeting.id
}

fn main() {}
