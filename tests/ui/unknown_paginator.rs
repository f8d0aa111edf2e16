#[connector::connector(yaml = r#"
name: demo
client:
  base_url: https://api.example.com
resources:
  - name: users
    endpoint:
      path: /users
      paginator: { type: cursr }
"#)]
mod demo {}

fn main() {}
