#[connector::connector(yaml = r#"
name: demo
client:
  base_url: https://api.example.com
resources:
  - name: users
    endpoint: /users
  - name: posts
    endpoint: /users/{user_id}/posts
"#)]
mod demo {}

fn main() {}
