// The seeds' bare {parent_id} needs exactly one possible parent, or `parent:`.
#[connector::connector(yaml = r#"
name: demo
client:
  base_url: https://api.example.com
resources:
  - users
  - teams
  - name: members
    endpoint: /groups/{parent_id}/members
"#)]
mod demo {}

fn main() {}
