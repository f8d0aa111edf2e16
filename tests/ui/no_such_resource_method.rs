// A resource removed from the spec takes its method with it.
#[connector::connector("specs/rmm.yaml")]
mod rmm {}

fn main() {
    let client: rmm::Client = todo!();
    let _ = client.devices();
}
