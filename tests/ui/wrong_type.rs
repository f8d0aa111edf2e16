#[connector::connector(yaml = r#"
name: demo
client:
  base_url: https://api.example.com
resources:
  - name: users
    endpoint:
      path: /users
      paginator: { type: offset, limit: many }
"#)]
mod demo {}

fn main() {}
