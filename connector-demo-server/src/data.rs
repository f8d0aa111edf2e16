//! Deterministic records: record `i` (1-based) of each resource, exactly as the server serves it,
//! so tests can compare what a connector yields with what it should.
//!
//! ```
//! use connector_demo_server::data;
//!
//! let third = data::computer(3, 0);
//! assert_eq!(third["id"], "3");
//! assert!(third["name"].is_null()); // every 3rd computer has no name
//! assert_eq!(data::computer(5, 0)["capableUsers"], serde_json::Value::Null);
//! assert_eq!(data::user_id(7), "user-0007");
//! assert_eq!(data::meetings_of_user(7), 3);
//! ```

use std::fmt;

use serde_json::{json, Value};

/// 2024-01-01T00:00:00Z, the epoch of every generated timestamp.
pub const BASE_EPOCH: i64 = 1_704_067_200;

/// Timestamps as `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339, UTC), written without allocating.
#[derive(Debug, Clone, Copy)]
pub struct Rfc3339(pub i64);

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// RFC 3339 text of `BASE_EPOCH + offset_secs`.
pub fn timestamp(offset_secs: i64) -> String {
    Rfc3339(BASE_EPOCH + offset_secs).to_string()
}

/// Whether record `i` is changed at `revision` (every 4th record, from revision 1).
pub fn is_revised(i: u64, revision: u32) -> bool {
    revision > 0 && i % 4 == 0
}

/// Seconds since the Unix epoch of record `i`'s `updated_at`: one minute per record, plus
/// `revision * 30` days for revised records.
pub fn updated_at_secs(i: u64, revision: u32) -> i64 {
    let shift = if is_revised(i, revision) {
        i64::from(revision) * 30 * 86_400
    } else {
        0
    };
    BASE_EPOCH + i as i64 * 60 + shift
}

/// Record `i`'s `updated_at` (the same for every seed list resource).
pub fn updated_at(i: u64, revision: u32) -> String {
    Rfc3339(updated_at_secs(i, revision)).to_string()
}

fn revised(name: String, i: u64, revision: u32) -> String {
    if is_revised(i, revision) {
        format!("{name} (rev {revision})")
    } else {
        name
    }
}

fn pick<'a>(options: &[&'a str], i: u64) -> &'a str {
    options[(i % options.len() as u64) as usize]
}

/// `device_inventory` computer `i`: `name` null for every 3rd, `lastContactTime` for every 7th,
/// `capableUsers` for every 5th (otherwise `i % 3` users), `managementId` for every 4th;
/// `udid`, `osVersion` and `updated_at` are not declared in the spec.
pub fn computer(i: u64, revision: u32) -> Value {
    let name = (i % 3 != 0).then(|| revised(format!("Computer-{i:05}"), i, revision));
    let last_contact = (i % 7 != 0).then(|| timestamp(i as i64 * 3600));
    let users = (i % 5 != 0).then(|| {
        (0..i % 3)
            .map(|k| format!("user{i}-{k}"))
            .collect::<Vec<_>>()
    });
    let management_id = (i % 4 != 0).then(|| format!("mgmt-{i:06}"));
    json!({
        "id": i.to_string(),
        "name": name,
        "lastContactTime": last_contact,
        "capableUsers": users,
        "managementId": management_id,
        "udid": format!("UDID-{i:08X}"),
        "osVersion": format!("14.{}", i % 6),
        "updated_at": updated_at(i, revision),
    })
}

/// `rmm` resource `i`: id `res-<i>`, `status` null for every 10th, a nested `site` object.
pub fn rmm_resource(i: u64, revision: u32) -> Value {
    let status = (i % 10 != 0).then(|| pick(&["online", "offline", "maintenance"], i));
    let site = i % 5 + 1;
    json!({
        "id": format!("res-{i}"),
        "name": revised(format!("Device {i}"), i, revision),
        "status": status,
        "site": { "id": site, "name": format!("Site {site}") },
        "updated_at": updated_at(i, revision),
    })
}

/// `asset_management` inventory `i` (integer id).
pub fn inventory(i: u64, revision: u32) -> Value {
    json!({
        "id": i,
        "name": revised(format!("Inventory {i}"), i, revision),
        "location": format!("Building {}", i % 3 + 1),
        "updated_at": updated_at(i, revision),
    })
}

/// `asset_management` asset `i`: `name` null for every 9th; `inventory_id` points at one of
/// `inventories` (null when there are none).
pub fn asset(i: u64, revision: u32, inventories: u64) -> Value {
    let name = (i % 9 != 0).then(|| revised(format!("Asset {i}"), i, revision));
    let inventory_id = (inventories > 0).then(|| 1 + (i - 1) % inventories);
    json!({
        "id": i,
        "name": name,
        "serial": format!("SN-{i:06}"),
        "inventory_id": inventory_id,
        "value": i as f64 * 12.5,
        "updated_at": updated_at(i, revision),
    })
}

/// `asset_management` member `i`.
pub fn member(i: u64, revision: u32) -> Value {
    json!({
        "id": i,
        "name": revised(format!("Member {i}"), i, revision),
        "email": format!("member{i}@example.com"),
        "role": pick(&["admin", "editor", "viewer"], i),
        "updated_at": updated_at(i, revision),
    })
}

/// Id of `crm_analytics` client `i`: `client-0001`.
pub fn crm_client_id(i: u64) -> String {
    format!("client-{i:04}")
}

/// `crm_analytics` client `i`: `industry` null for every 6th.
pub fn crm_client(i: u64, revision: u32) -> Value {
    let industry = (i % 6 != 0).then(|| pick(&["retail", "finance", "health", "media"], i));
    json!({
        "id": crm_client_id(i),
        "name": revised(format!("Client {i}"), i, revision),
        "industry": industry,
        "updated_at": updated_at(i, revision),
    })
}

/// `crm_analytics` contact `i`: `client_id` is one of `clients`, null for every 6th contact.
pub fn crm_contact(i: u64, revision: u32, clients: u64) -> Value {
    let client_id = (clients > 0 && i % 6 != 0).then(|| crm_client_id(1 + (i - 1) % clients));
    json!({
        "id": format!("contact-{i:04}"),
        "name": revised(format!("Contact {i}"), i, revision),
        "client_id": client_id,
        "email": format!("contact{i}@example.com"),
        "updated_at": updated_at(i, revision),
    })
}

/// The `crm_analytics` company of the account.
pub fn crm_company(account_id: &str) -> Value {
    json!({
        "id": "company-0001",
        "name": "Demo Company",
        "account_id": account_id,
        "plan": "enterprise",
        "employees": 42,
        "created_at": timestamp(0),
    })
}

/// Id of `meetings` user `i`: `user-0001`.
pub fn user_id(i: u64) -> String {
    format!("user-{i:04}")
}

/// The index of a user id made by [`user_id`].
pub fn user_index(id: &str) -> Option<u64> {
    let digits = id.strip_prefix("user-")?;
    if digits.len() < 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|&i| i > 0)
}

/// `meetings` user `i`.
pub fn user(i: u64, revision: u32) -> Value {
    json!({
        "id": user_id(i),
        "email": format!("user{i}@example.com"),
        "first_name": pick(&["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken"], i),
        "last_name": revised(pick(&["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov"], i).to_owned(), i, revision),
        "status": pick(&["active", "inactive", "pending"], i),
        "created_at": timestamp(i as i64 * 86_400),
        "type": 1 + i % 2,
        "updated_at": updated_at(i, revision),
    })
}

/// How many meetings user `i` has: `i % 4` (so every 4th user has none).
pub fn meetings_of_user(i: u64) -> u64 {
    i % 4
}

/// Meeting `j` (1-based) of user `i`; ids are large integers, unique across users.
pub fn meeting(i: u64, j: u64) -> Value {
    json!({
        "id": 85_000_000_000u64 + i * 100 + j,
        "topic": format!("Meeting {j} of user {i}"),
        "start_time": timestamp(i as i64 * 86_400 + j as i64 * 3600),
        "duration": 15 * (j + 1),
        "status": pick(&["waiting", "started", "finished"], j),
        "host_id": user_id(i),
    })
}

/// `/bench/items` record `i`, as JSON (the server writes it without building a `Value`).
pub fn bench_item(i: u64) -> Value {
    serde_json::to_value(crate::apis::bench::Item(i)).unwrap_or(Value::Null)
}

/// `/bench/parents` record `i`.
pub fn bench_parent(i: u64) -> Value {
    crate::apis::bench::parent(i)
}

/// Child `j` (1-based) of bench parent `p`.
pub fn bench_child(p: u64, j: u64) -> Value {
    crate::apis::bench::child(p, j)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(timestamp(0), "2024-01-01T00:00:00Z");
        assert_eq!(timestamp(59 * 86_400 + 3661), "2024-02-29T01:01:01Z");
        assert_eq!(Rfc3339(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(Rfc3339(-1).to_string(), "1969-12-31T23:59:59Z");
        assert_eq!(Rfc3339(951_782_400).to_string(), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn user_ids_round_trip() {
        assert_eq!(user_index(&user_id(12)), Some(12));
        assert_eq!(user_index(&user_id(12_345)), Some(12_345));
        assert_eq!(user_index("user-12"), None);
        assert_eq!(user_index("user-0000"), None);
        assert_eq!(user_index("someone"), None);
    }

    #[test]
    fn revisions_rename_every_fourth_record_and_move_it_later() {
        assert_eq!(member(4, 2)["name"], "Member 4 (rev 2)");
        assert_eq!(member(5, 2)["name"], "Member 5");
        assert!(updated_at_secs(4, 1) > updated_at_secs(1001, 1));
        assert_eq!(updated_at_secs(4, 0), BASE_EPOCH + 240);
    }
}
