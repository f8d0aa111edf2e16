//! `json_schema` also derives `schemars::JsonSchema` on every record.
#![deny(warnings)]

#[connector::connector("specs/device_inventory.yaml", json_schema)]
mod device_inventory {}

fn main() {
    let schema = schemars::schema_for!(device_inventory::types::Computer);
    let _ = schema;
}
