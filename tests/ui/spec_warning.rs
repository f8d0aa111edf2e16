// A spec warning (here: merge without a primary key) is a rustc warning at the spec literal,
// so `deny(warnings)` turns it into an error.
#![deny(warnings)]

#[connector::connector(yaml = r#"
name: demo
client:
  base_url: https://api.example.com
resources:
  - name: users
    endpoint: /users
    write_disposition: merge
"#)]
mod demo {}

fn main() {}
