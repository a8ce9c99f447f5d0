//! Indicator formulas as a user types them: the parser, the canonical form (which must parse
//! again to itself), the evaluator and the check against the built-in data elements.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mizani_core::catalogue;
use mizani_core::expr::Expr;
use mizani_core::model::ElementKind;
use std::collections::HashMap;
use std::sync::OnceLock;

fn kinds() -> &'static HashMap<String, ElementKind> {
    static KINDS: OnceLock<HashMap<String, ElementKind>> = OnceLock::new();
    KINDS.get_or_init(|| {
        catalogue::builtin_elements()
            .expect("the built-in catalogue loads")
            .into_iter()
            .map(|e| (e.code, e.kind))
            .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let _ = catalogue::validate_formula(src, kinds());
    let Ok(e) = Expr::parse(src) else {
        return;
    };
    // The canonical form is what is stored: it must parse back to the same formula.
    let canonical = e.to_string();
    let again = Expr::parse(&canonical).expect("the canonical form of a formula parses");
    assert_eq!(again.to_string(), canonical, "the canonical form is stable");
    // …and mean the same: the same element references and the same value.
    let names = |x: &Expr| {
        x.refs()
            .into_iter()
            .map(|(code, access, _)| (code.to_string(), access))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(&again),
        names(&e),
        "the canonical form refers to the same elements"
    );
    let value = |x: &Expr| x.eval(&mut |code, _| code.len() as f64 - 3.0, Some(1000.0));
    match (value(&e), value(&again)) {
        (Ok(a), Ok(b)) => assert!(
            a == b || (a.is_nan() && b.is_nan()),
            "the canonical form has the same value: {a} vs {b}"
        ),
        (a, b) => assert_eq!(a, b, "the canonical form evaluates alike"),
    }
    let _ = e.eval(&mut |_, _| 0.0, None);
});
