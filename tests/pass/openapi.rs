//! Columns from schema documents (OpenAPI 3.0 and 3.1, a JSON Schema file): nullable and
//! required fields, nested structs and lists, enums that keep unknown values, and chrono types
//! for `format: date-time` and `date`.
#![deny(warnings, missing_docs)]

/// Inventory.
#[connector::connector("connector-codegen/tests/fixtures/openapi.yaml")]
pub mod inventory {}

use connector::runtime::chrono::{DateTime, NaiveDate, Utc};
use inventory::types::{
    Address, Device, DeviceKind, DeviceLocation, DevicePortsItem, Reading, ReadingUnit, Site,
    SiteAddress, SiteStatus,
};

fn _fields(device: &Device, site: &Site, reading: &Reading, address: &Address) {
    let _: &String = &device.name;
    let _: i64 = device.id;
    let _: &String = &device.serial;
    let _: &DeviceKind = &device.kind;
    let _: Option<&String> = device.firmware.as_ref();
    let _: &DateTime<Utc> = &device.created_at;
    let _: Option<DateTime<Utc>> = device.retired_at;
    let _: Option<NaiveDate> = device.installed_on;
    let _: Option<f64> = device.battery;
    let _: Option<&DeviceLocation> = device.location.as_ref();
    let _: &Vec<String> = &device.tags;
    let _: Option<&Vec<DevicePortsItem>> = device.ports.as_ref();
    let _: Option<&Vec<Vec<i64>>> = device.ports.as_ref().and_then(|p| p[0].speeds.as_ref());
    let _: Option<&connector::runtime::serde_json::Value> = device.config.as_ref();
    let _: &String = &site.code;
    let _: Option<&SiteStatus> = site.status.as_ref();
    let _: Option<&SiteAddress> = site.address.as_ref();
    let _: &DateTime<Utc> = &reading.at;
    let _: Option<f64> = reading.value;
    let _: Option<&ReadingUnit> = reading.unit.as_ref();
    let _: &String = &address.city;
}

fn main() {
    // A listed value is its variant, any other is kept; both write back the text they read.
    let kinds: Vec<DeviceKind> =
        connector::runtime::serde_json::from_str(r#"["in-progress", "robot"]"#).unwrap();
    assert_eq!(kinds[0], DeviceKind::InProgress);
    assert_eq!(kinds[1], DeviceKind::Other("robot".to_owned()));
    assert_eq!(
        connector::runtime::serde_json::to_string(&kinds).unwrap(),
        r#"["in-progress","robot"]"#
    );
    assert_eq!(SiteStatus::Closed.as_str(), "closed");
}
