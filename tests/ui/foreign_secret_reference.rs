// A secret reference pasted from a dlt config is a compile error whose fix is `{ secret: NAME }`.
#[connector::connector(yaml = r#"
name: shop
client:
  base_url: https://api.example.com
  auth:
    type: bearer
    token: dlt.secrets["shop_token"]
resources:
  - name: orders
    endpoint:
      path: /orders
      paginator: single_page
"#)]
mod shop {}

fn main() {}
