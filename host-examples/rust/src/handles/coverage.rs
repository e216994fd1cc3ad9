//! The typed handles cover the whole WIT: every function the embedded component exports (each
//! resource's constructor, methods and static functions, and the free functions of every exported
//! interface) has a method in this module. The list of functions is read from the compiled
//! component's type, not from a copy, so a WIT function added without a handle method fails here.
//!
//! Where a method must be:
//! - `[method]<resource>.<name>`: `fn <name>` (snake case) in the `impl` block of the resource's
//!   handle type ([`RESOURCES`]);
//! - `<name>` (a free function): `fn <name>` in an `impl Session` block of `functions.rs`;
//! - `[constructor]<resource>` and `[static]<resource>.<name>`: the `Session` method of
//!   `functions.rs` that [`SESSION_NAMES`] names (they are named after what they make, e.g.
//!   `certificate.from-pem` is `certificate_from_pem`).
//!
//! The methods of an `impl` block are read from its source: every `fn <name>`, whether written
//! out or inside a `forward!` list.

use std::collections::BTreeSet;

use anyhow::{Context as _, bail, ensure};
use wasmtime::component::types::ComponentItem;

use crate::runtime::runtime;

/// Each resource of the WIT: its handle type and the source of the file holding its `impl` block.
const RESOURCES: &[(&str, &str, &str)] = &[
    ("ssl-socket", "SslSocket", include_str!("ssl_socket.rs")),
    ("ssl-server", "SslServer", include_str!("ssl_server.rs")),
    ("certificate", "Certificate", include_str!("certificate.rs")),
    ("key", "Key", include_str!("key.rs")),
    (
        "ssl-configuration",
        "SslConfiguration",
        include_str!("ssl_configuration.rs"),
    ),
];

/// The source of the `impl Session` blocks holding constructors, static and free functions.
const FUNCTIONS: &str = include_str!("functions.rs");

/// The `Session` method of each constructor and static function.
const SESSION_NAMES: &[(&str, &str)] = &[
    ("[constructor]ssl-socket", "new_socket"),
    ("[constructor]ssl-server", "new_server"),
    ("[constructor]ssl-configuration", "new_ssl_configuration"),
    ("[static]certificate.from-data", "certificates_from_data"),
    ("[static]certificate.from-pem", "certificate_from_pem"),
    ("[static]certificate.from-der", "certificate_from_der"),
    ("[static]certificate.from-path", "certificates_from_path"),
    ("[static]certificate.import-pkcs12", "import_pkcs12"),
    ("[static]key.private-from-data", "private_key_from_data"),
    (
        "[static]key.private-from-data-with-passphrase",
        "private_key_from_data_with_passphrase",
    ),
    ("[static]key.public-from-data", "public_key_from_data"),
];

#[test]
fn every_wit_function_has_a_handle_method() -> anyhow::Result<()> {
    let runtime = runtime()?;
    let engine = &runtime.engine;
    let component = runtime.pre.instance_pre().component().component_type();
    let mut missing = Vec::new();
    let mut used_session_names = BTreeSet::new();
    let mut functions = 0usize;
    for (interface, export) in component.exports(engine) {
        let ComponentItem::ComponentInstance(instance) = export.ty else {
            continue;
        };
        for (name, item) in instance.exports(engine) {
            if !matches!(item.ty, ComponentItem::ComponentFunc(_)) {
                continue;
            }
            functions += 1;
            let (impl_type, source, method) = match home(name) {
                Ok(home) => home,
                Err(e) => {
                    missing.push(format!("{interface}: {e:#}"));
                    continue;
                }
            };
            if name.starts_with("[constructor]") || name.starts_with("[static]") {
                used_session_names.insert(name.to_owned());
            }
            if !methods(source, impl_type).contains(&method) {
                missing.push(format!(
                    "{interface}: `{name}` has no `fn {method}` in `impl {impl_type}`"
                ));
            }
        }
    }
    ensure!(
        functions > 100,
        "only {functions} exported functions found: is this the sslsocket component?"
    );
    for (wit, _) in SESSION_NAMES {
        if !used_session_names.contains(*wit) {
            missing.push(format!(
                "SESSION_NAMES names `{wit}`, which the WIT no longer has"
            ));
        }
    }
    if !missing.is_empty() {
        bail!(
            "the typed handles do not cover the WIT ({} of {functions} functions):\n{}",
            missing.len(),
            missing.join("\n")
        );
    }
    Ok(())
}

/// Where the method for the exported function `name` must be: the type of its `impl` block, the
/// source of the file holding that block, and the method's name.
fn home(name: &str) -> anyhow::Result<(&'static str, &'static str, String)> {
    if let Some(rest) = name.strip_prefix("[method]") {
        let (resource, function) = rest
            .split_once('.')
            .with_context(|| format!("`{name}`: no resource name"))?;
        let (_, handle, source) = RESOURCES
            .iter()
            .find(|(wit, _, _)| *wit == resource)
            .with_context(|| format!("`{name}`: resource `{resource}` has no handle type"))?;
        return Ok((handle, source, snake_case(function)));
    }
    if name.starts_with('[') {
        let (_, method) = SESSION_NAMES
            .iter()
            .find(|(wit, _)| *wit == name)
            .with_context(|| format!("`{name}`: not in SESSION_NAMES"))?;
        return Ok(("Session", FUNCTIONS, (*method).to_owned()));
    }
    Ok(("Session", FUNCTIONS, snake_case(name)))
}

/// `foo-bar` as `foo_bar`.
fn snake_case(wit_name: &str) -> String {
    wit_name.replace('-', "_")
}

/// The names of the functions in every `impl <type_name> {` block of `source`. Comment lines are
/// skipped, so braces in docs do not count.
fn methods(source: &str, type_name: &str) -> BTreeSet<String> {
    let header = format!("impl {type_name} {{");
    let mut names = BTreeSet::new();
    let mut lines = source.lines();
    while let Some(line) = lines.next() {
        if line.trim_start() != header {
            continue;
        }
        let mut depth = 1usize;
        for line in lines.by_ref() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            names.extend(fn_names(code));
            for c in code.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth = depth.saturating_sub(1),
                    _ => {}
                }
            }
            if depth == 0 {
                break;
            }
        }
    }
    names
}

/// The `<name>` of every `fn <name>` on a line.
fn fn_names(line: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut words = line.split_whitespace();
    while let Some(word) = words.next() {
        if word != "fn" {
            continue;
        }
        let name: String = words
            .next()
            .unwrap_or_default()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            names.push(name);
        }
    }
    names
}

#[test]
fn methods_reads_written_out_and_forwarded_functions_of_one_impl_block() {
    let source = "impl A {\n    forward! {\n        /// doc {\n        fn one => call_one() -> ();\n    }\n    pub fn two(&self) {\n        if x { y }\n    }\n}\n\nimpl B {\n    pub fn three(&self) {}\n}\n";
    let names: Vec<String> = methods(source, "A").into_iter().collect();
    assert_eq!(names, ["one", "two"]);
}
