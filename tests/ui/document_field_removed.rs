// The schema document no longer has `price`: code that reads it stops compiling.
#[connector::connector("tests/ui/files/shop.yaml")]
mod shop {}

fn price(item: &shop::types::Item) -> Option<f64> {
    item.price
}

fn main() {
    let _ = price;
}
