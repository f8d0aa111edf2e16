//! "Did you mean" suggestions and readable lists for messages.

/// `did you mean `x`?` for the candidate closest to `input`, when one is close enough.
pub(crate) fn did_you_mean(input: &str, candidates: &[&str]) -> Option<String> {
    closest(input, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// The candidate closest to `input` by Jaro-Winkler similarity, if similar enough to be a typo
/// (or if one contains the other, as `page` and `page_param` do).
pub(crate) fn closest<'a>(input: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower = input.to_lowercase();
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(&lower, &c.to_lowercase()), *c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// `a, b, c`.
pub(crate) fn list(items: &[&str]) -> String {
    items.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["page_param", "limit", "total_path"];
        assert_eq!(closest("page_parm", &names), Some("page_param"));
        assert_eq!(closest("totl_path", &names), Some("total_path"));
        assert_eq!(closest("zzz", &names), None);
    }
}
