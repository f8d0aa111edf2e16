#[connector::connector(yaml = r#"
name: demo
client:
  base_url: https://api.example.com
resources:
  - name: users
    endpoint:
      path: /users
      paginatr: single_page
"#)]
mod demo {}

fn main() {}
