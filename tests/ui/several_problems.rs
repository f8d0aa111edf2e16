// Every problem of a spec is reported at once, each as its own error.
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
  - name: posts
    endpoint: /users/{user_id}/posts
"#)]
mod demo {}

fn main() {}
