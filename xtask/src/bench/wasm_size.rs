//! Where the wasm's bytes go: code size per function and per crate, read
//! from the `name` section of a build that keeps it.
//!
//! The shipped wasm has no names (wasm-opt drops them). The benchmark runs
//! the same `wasm-opt -Oz` on wasm-bindgen's output with `-g` added, which
//! keeps the (already demangled) function names and otherwise produces the
//! same code; the report says whether the code section matches the shipped
//! one byte for byte.

use crate::Result;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Sizes of one module.
#[derive(Debug, Default)]
pub struct Breakdown {
    pub total: usize,
    /// Size of each section by name (`code`, `data`, `import`, custom names).
    pub sections: Vec<(String, usize)>,
    /// (body bytes, function name) of every defined function.
    pub functions: Vec<(usize, String)>,
}

impl Breakdown {
    pub fn section(&self, name: &str) -> usize {
        self.sections
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, s)| *s)
            .sum()
    }

    /// Code bytes per crate (the first `path::` segment of the name),
    /// largest first, with function counts.
    pub fn by_crate(&self) -> Vec<(String, usize, usize)> {
        let mut sums: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for (size, name) in &self.functions {
            let e = sums.entry(crate_of(name)).or_default();
            e.0 += size;
            e.1 += 1;
        }
        let mut out: Vec<_> = sums.into_iter().map(|(k, (s, n))| (k, s, n)).collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }

    /// Code bytes per theme: Leptos' view and reactive layers, serde, ...
    /// A function counts for the first theme its name mentions.
    pub fn by_theme(&self) -> Vec<(&'static str, usize)> {
        const THEMES: &[(&str, &[&str])] = &[
            (
                "serde (derive + serde_json + visitors)",
                &["serde", "Deserialize", "Visitor"],
            ),
            (
                "leptos views and reactivity (tachys, reactive_graph, leptos, leptos_router)",
                &["tachys", "reactive_graph", "leptos", "any_spawner"],
            ),
            ("drop glue (core::ptr::drop_in_place)", &["drop_in_place"]),
            ("formatting (core::fmt)", &["fmt::"]),
            ("chrono", &["chrono"]),
        ];
        let mut sums = vec![0usize; THEMES.len() + 1];
        for (size, name) in &self.functions {
            let at = THEMES
                .iter()
                .position(|(_, words)| words.iter().any(|w| name.contains(w)))
                .unwrap_or(THEMES.len());
            sums[at] += size;
        }
        let mut out: Vec<(&'static str, usize)> = THEMES
            .iter()
            .zip(&sums)
            .map(|((t, _), s)| (*t, *s))
            .collect();
        out.push(("everything else", sums[THEMES.len()]));
        out
    }

    /// The `n` largest functions, largest first.
    pub fn largest(&self, n: usize) -> Vec<&(usize, String)> {
        let mut all: Vec<&(usize, String)> = self.functions.iter().collect();
        all.sort_by_key(|f| std::cmp::Reverse(f.0));
        all.truncate(n);
        all
    }

    /// Markdown: sections, crates, themes and the largest functions.
    pub fn markdown(&self, top: usize) -> String {
        let code: usize = self.functions.iter().map(|(s, _)| s).sum();
        let pct = |n: usize| 100.0 * n as f64 / code.max(1) as f64;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Module {} bytes: code {} (function bodies {}), data {}, imports {}.\n",
            self.total,
            self.section("code"),
            code,
            self.section("data"),
            self.section("import"),
        );
        out.push_str("| crate (first path segment) | code bytes | share | functions |\n");
        out.push_str("| --- | ---: | ---: | ---: |\n");
        for (name, size, count) in self.by_crate().into_iter().take(top) {
            let _ = writeln!(out, "| `{name}` | {size} | {:.1} % | {count} |", pct(size));
        }
        out.push_str("\n| theme (by name) | code bytes | share |\n| --- | ---: | ---: |\n");
        for (theme, size) in self.by_theme() {
            let _ = writeln!(out, "| {theme} | {size} | {:.1} % |", pct(size));
        }
        out.push_str("\n| largest functions | bytes |\n| --- | ---: |\n");
        for (size, name) in self.largest(top) {
            let _ = writeln!(out, "| `{}` | {size} |", shorten(name, 110));
        }
        out
    }
}

/// The crate a (demangled) function name belongs to: the first
/// `identifier::` in it, without a `[hash]` suffix. `<T as tachys::X>::f`
/// is tachys', `<impl serde::Deserialize for shared::Job>` shared's when
/// inside `shared::...`, and names without a path are their own group.
pub fn crate_of(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_alphabetic() || bytes[i] == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            let ident = &name[start..i];
            let mut j = i;
            if j < bytes.len() && bytes[j] == b'[' {
                while j < bytes.len() && bytes[j] != b']' {
                    j += 1;
                }
                j += 1;
            }
            if name[j.min(name.len())..].starts_with("::") {
                return ident.to_owned();
            }
        } else {
            i += 1;
        }
    }
    "(no crate path)".to_owned()
}

fn shorten(s: &str, max: usize) -> String {
    let s = s.replace('|', "\\|").replace('`', "'");
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s,
    }
}

/// One import: where from, its kind, and a table's element type.
pub(crate) struct Import {
    pub(crate) module: String,
    pub(crate) field: String,
    pub(crate) kind: u8,
    pub(crate) table_element: Option<u8>,
}

impl Import {
    pub(crate) const FUNCTION: u8 = 0;
    pub(crate) const TABLE: u8 = 1;
}

/// A cursor over a wasm module's bytes (also used by `split.rs`).
pub(crate) struct Reader<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) at: usize,
}

impl Reader<'_> {
    pub(crate) fn byte(&mut self) -> Result<u8> {
        let b = *self.bytes.get(self.at).ok_or("wasm: unexpected end")?;
        self.at += 1;
        Ok(b)
    }

    pub(crate) fn leb(&mut self) -> Result<usize> {
        let mut value = 0usize;
        let mut shift = 0;
        loop {
            let b = self.byte()?;
            value |= usize::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
            shift += 7;
            if shift > 56 {
                return Err("wasm: LEB128 number too long".into());
            }
        }
    }

    pub(crate) fn name(&mut self) -> Result<String> {
        let len = self.leb()?;
        let end = self.at + len;
        let s = self
            .bytes
            .get(self.at..end)
            .ok_or("wasm: name runs past the end")?;
        self.at = end;
        Ok(String::from_utf8_lossy(s).into_owned())
    }

    /// One entry of the import section.
    pub(crate) fn import(&mut self) -> Result<Import> {
        let module = self.name()?;
        let field = self.name()?;
        let kind = self.byte()?;
        let mut table_element = None;
        match kind {
            Import::FUNCTION => {
                self.leb()?; // its type
            }
            Import::TABLE => {
                table_element = Some(self.byte()?);
                self.limits()?;
            }
            2 => self.limits()?, // a memory
            3 => {
                // a global: its type and mutability
                self.byte()?;
                self.byte()?;
            }
            4 => {
                // a tag: its attribute and type
                self.byte()?;
                self.leb()?;
            }
            k => return Err(format!("wasm: unknown import kind {k}")),
        }
        Ok(Import {
            module,
            field,
            kind,
            table_element,
        })
    }

    /// Skips a `limits` (memory / table).
    pub(crate) fn limits(&mut self) -> Result {
        let flags = self.byte()?;
        self.leb()?;
        if flags & 1 != 0 {
            self.leb()?;
        }
        Ok(())
    }
}

/// Reads sections, function body sizes and function names.
pub fn analyze(bytes: &[u8]) -> Result<Breakdown> {
    if bytes.get(..4) != Some(b"\0asm") {
        return Err("not a wasm module".into());
    }
    let mut r = Reader { bytes, at: 8 };
    let mut out = Breakdown {
        total: bytes.len(),
        ..Breakdown::default()
    };
    let mut imported_functions = 0usize;
    let mut bodies: Vec<usize> = Vec::new();
    let mut names: BTreeMap<usize, String> = BTreeMap::new();
    while r.at < bytes.len() {
        let id = r.byte()?;
        let size = r.leb()?;
        let start = r.at;
        let end = start + size;
        if end > bytes.len() {
            return Err("wasm: section runs past the end".into());
        }
        let label = match id {
            0 => {
                let custom = r.name()?;
                if custom == "name" {
                    read_function_names(&mut r, end, &mut names)?;
                }
                custom
            }
            2 => {
                let count = r.leb()?;
                for _ in 0..count {
                    if r.import()?.kind == Import::FUNCTION {
                        imported_functions += 1;
                    }
                }
                "import".into()
            }
            10 => {
                let count = r.leb()?;
                for _ in 0..count {
                    let body = r.leb()?;
                    bodies.push(body);
                    r.at += body;
                }
                "code".into()
            }
            11 => "data".into(),
            1 => "type".into(),
            3 => "function".into(),
            4 => "table".into(),
            5 => "memory".into(),
            6 => "global".into(),
            7 => "export".into(),
            8 => "start".into(),
            9 => "element".into(),
            12 => "datacount".into(),
            13 => "tag".into(),
            other => format!("section {other}"),
        };
        out.sections.push((label, size));
        r.at = end;
    }
    out.functions = bodies
        .iter()
        .enumerate()
        .map(|(i, size)| {
            let index = imported_functions + i;
            let name = names
                .get(&index)
                .cloned()
                .unwrap_or_else(|| format!("function[{index}]"));
            (*size, name)
        })
        .collect();
    Ok(out)
}

/// The function-names subsection (1) of a `name` section.
fn read_function_names(
    r: &mut Reader<'_>,
    end: usize,
    names: &mut BTreeMap<usize, String>,
) -> Result {
    while r.at < end {
        let sub = r.byte()?;
        let size = r.leb()?;
        let sub_end = r.at + size;
        if sub == 1 {
            let count = r.leb()?;
            for _ in 0..count {
                let index = r.leb()?;
                let name = r.name()?;
                names.insert(index, name);
            }
        }
        r.at = sub_end;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crates_come_from_the_first_path_segment() {
        assert_eq!(
            crate_of("tachys::reactive_graph::<impl tachys::view::Render for F>::build::h1"),
            "tachys"
        );
        assert_eq!(
            crate_of("<T as tachys::view::any_view::IntoAny>::into_any::h6"),
            "tachys"
        );
        assert_eq!(
            crate_of("<f64 as core[c5930c85a12de822]::fmt::Display>::fmt"),
            "core"
        );
        assert_eq!(crate_of("memcpy"), "(no crate path)");
    }

    /// A hand-assembled module: one imported function, two defined ones,
    /// names for all three.
    #[test]
    fn reads_body_sizes_and_names() {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        // type section: one type () -> ()
        m.extend([1, 4, 1, 0x60, 0, 0]);
        // import section: "m" "f" func type 0
        m.extend([2, 7, 1, 1, b'm', 1, b'f', 0, 0]);
        // function section: two functions of type 0
        m.extend([3, 3, 2, 0, 0]);
        // code section: bodies of 2 and 3 bytes
        m.extend([10, 8, 2, 2, 0, 0x0b, 3, 0, 0x01, 0x0b]);
        // name section, function names: 0 "imp", 1 "a::x", 2 "b"
        let names = [
            vec![3, 0, 3],
            b"imp".to_vec(),
            vec![1, 4],
            b"a::x".to_vec(),
            vec![2, 1, b'b'],
        ]
        .concat();
        let sub = [vec![1, names.len() as u8], names].concat();
        let custom = [vec![4], b"name".to_vec(), sub].concat();
        m.push(0);
        m.push(custom.len() as u8);
        m.extend(custom);
        let b = analyze(&m).unwrap();
        assert_eq!(b.functions, [(2, "a::x".to_owned()), (3, "b".to_owned())]);
        assert_eq!(b.section("code"), 8);
        assert_eq!(b.by_crate()[0], ("(no crate path)".to_owned(), 3, 1));
        assert!(b.markdown(5).contains("| `a` | 2 |"));
    }
}
