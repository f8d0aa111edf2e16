// dlt allows a primary key that is not a declared column, so it is a spec warning; with
// `deny(warnings)` it fails the build like any other.
#![deny(warnings)]

#[connector::connector(yaml = r#"
name: demo
client:
  base_url: https://api.example.com
resources:
  - name: users
    endpoint: /users
    primary_key: uid
    columns:
      id: { data_type: text, nullable: false }
"#)]
mod demo {}

fn main() {}
