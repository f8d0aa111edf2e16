#[connector::connector(yaml = r#"
name: demo
client:
  base_url: https://api.example.com
resources:
  - name: users
    endpoint: /users
  - name: users
    endpoint: /people
"#)]
mod demo {}

fn main() {}
