//! The text reader (encodings, separators, quotes), header detection, layout and preview on
//! arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let flags = data.first().copied().unwrap_or(0);
    mizani_fuzz::check(data, "fuzz.csv", flags);
});
