//! `sigs.k8s.io/yaml.YAMLToJSON`, as kube-apiserver's YAML serializer runs it on a configuration
//! file before decoding: `go.yaml.in/yaml/v2` reads the first document into Go maps and slices
//! with YAML 1.1 scalar resolution (`yes`/`no`/`on`/`off` and `y`/`n` are booleans, `~` is
//! null, `0x10`, `010`, `0o10`, `0b10` and `1_000` are integers, `1e3` and `.5` are floats,
//! unquoted timestamps stay strings, quoted scalars are always strings, `<<` merges maps), then
//! map keys become strings and `json.Marshal` writes the tree, objects sorted by key.
//!
//! The strict pass (`YAMLToJSONStrict`) that the serializer runs only to find duplicate keys is
//! folded in: each key set twice in one map is reported as yaml.v2 reports it, and the caller
//! turns them into a strict decoding error.

use std::collections::{BTreeMap, HashMap};

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle};

use super::resolve::{self, YamlValue};
use super::value::Value;

/// Nodes nested deeper than this are refused. The schema is seven levels deep, so kube-apiserver
/// refuses any such document too (as an unknown field or a type error); the parser already
/// limits literal nesting to 255, and this keeps recursion bounded when aliases stack anchors
/// inside anchors.
const MAX_DEPTH: usize = 256;

/// A YAML file converted as `YAMLToJSON` converts it.
#[derive(Debug)]
pub(crate) struct Converted {
    /// The JSON document.
    pub value: Value,
    /// The error `YAMLToJSONStrict` would return: every duplicate key, or `None`.
    pub strict_error: Option<String>,
}

/// Converts the first YAML document of `text` to JSON. Errors carry the text Go prints.
pub(crate) fn to_json(text: &str) -> Result<Converted, String> {
    let tree = Tree::parse(text)?;
    let mut decoder = Decoder {
        tree: &tree,
        decode_count: 0,
        alias_count: 0,
        alias_depth: 0,
        duplicates: Vec::new(),
    };
    let decoded = match tree.root {
        Some(root) => {
            // The document node counts as one decode, as in yaml.v2.
            decoder.decode_count += 1;
            decoder.unmarshal(root, 0)?
        }
        None => YamlValue::Null,
    };
    let value = json_value(decoded)?;
    if let Some(bad) = first_unsupported_float(&value) {
        return Err(format!("json: unsupported value: {bad}"));
    }
    let strict_error = (!decoder.duplicates.is_empty()).then(|| {
        format!(
            "yaml: unmarshal errors:\n  {}",
            decoder.duplicates.join("\n  ")
        )
    });
    Ok(Converted {
        value,
        strict_error,
    })
}

/// One parsed node; collections refer to their children by index.
#[derive(Debug)]
struct Node {
    /// 1-based line of the node, for duplicate-key messages.
    line: usize,
    kind: NodeKind,
}

#[derive(Debug)]
enum NodeKind {
    Scalar {
        value: String,
        /// The resolved tag (`tag:yaml.org,2002:int`, `!`, `!local`), if one was written.
        tag: Option<String>,
        /// yaml.v2's `implicit`: a plain scalar without a tag, or any scalar tagged `!`.
        implicit: bool,
    },
    Sequence(Vec<usize>),
    Mapping(Vec<(usize, usize)>),
    Alias(usize),
}

/// The nodes of the first document.
struct Tree {
    nodes: Vec<Node>,
    root: Option<usize>,
}

struct Frame {
    line: usize,
    anchor: usize,
    mapping: bool,
    children: Vec<usize>,
}

impl Tree {
    fn parse(text: &str) -> Result<Tree, String> {
        let mut nodes: Vec<Node> = Vec::new();
        let mut anchors: HashMap<usize, usize> = HashMap::new();
        let mut stack: Vec<Frame> = Vec::new();
        let mut root = None;
        for event in Parser::new_from_str(text) {
            let (event, span) =
                event.map_err(|e| format!("yaml: line {}: {}", e.marker().line(), e.info()))?;
            let line = span.start.line();
            let mapping = matches!(event, Event::MappingStart(..));
            let (node, anchor) = match event {
                Event::DocumentEnd | Event::StreamEnd => break,
                Event::Scalar(value, style, anchor, tag) => {
                    let tag = tag.map(|t| format!("{}{}", t.handle(), t.suffix()));
                    let implicit = (tag.is_none() && style == ScalarStyle::Plain)
                        || tag.as_deref() == Some("!");
                    let kind = NodeKind::Scalar {
                        value: value.into_owned(),
                        tag,
                        implicit,
                    };
                    (Node { line, kind }, anchor)
                }
                Event::Alias(id) => {
                    let target = *anchors
                        .get(&id)
                        .ok_or_else(|| format!("yaml: line {line}: unknown anchor referenced"))?;
                    (
                        Node {
                            line,
                            kind: NodeKind::Alias(target),
                        },
                        0,
                    )
                }
                Event::SequenceStart(_, anchor, _) | Event::MappingStart(_, anchor, _) => {
                    stack.push(Frame {
                        line,
                        anchor,
                        mapping,
                        children: Vec::new(),
                    });
                    continue;
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    let frame = stack
                        .pop()
                        .ok_or_else(|| format!("yaml: line {line}: unbalanced collection"))?;
                    let kind = if frame.mapping {
                        NodeKind::Mapping(
                            frame
                                .children
                                .chunks(2)
                                .filter_map(|pair| match pair {
                                    [key, value] => Some((*key, *value)),
                                    _ => None,
                                })
                                .collect(),
                        )
                    } else {
                        NodeKind::Sequence(frame.children)
                    };
                    (
                        Node {
                            line: frame.line,
                            kind,
                        },
                        frame.anchor,
                    )
                }
                _ => continue,
            };
            let index = nodes.len();
            nodes.push(node);
            if anchor != 0 {
                anchors.insert(anchor, index);
            }
            match stack.last_mut() {
                Some(parent) => parent.children.push(index),
                None => root = Some(index),
            }
        }
        Ok(Tree { nodes, root })
    }

    fn node(&self, index: usize) -> Result<&Node, String> {
        self.nodes
            .get(index)
            .ok_or_else(|| "yaml: internal error: dangling node".to_owned())
    }
}

/// yaml.v2's decoder into `interface{}`: scalars resolved, maps with overwrite semantics.
struct Decoder<'t> {
    tree: &'t Tree,
    decode_count: usize,
    alias_count: usize,
    alias_depth: usize,
    duplicates: Vec<String>,
}

impl Decoder<'_> {
    /// yaml.v2's `unmarshal`, with its alias-expansion budget.
    fn count(&mut self, depth: usize) -> Result<(), String> {
        self.decode_count += 1;
        if self.alias_depth > 0 {
            self.alias_count += 1;
        }
        if self.alias_count > 100
            && self.decode_count > 1000
            && self.alias_count as f64 / self.decode_count as f64
                > allowed_alias_ratio(self.decode_count)
        {
            return Err("yaml: document contains excessive aliasing".to_owned());
        }
        if depth > MAX_DEPTH {
            return Err(format!("yaml: exceeded max depth of {MAX_DEPTH}"));
        }
        Ok(())
    }

    fn unmarshal(&mut self, index: usize, depth: usize) -> Result<YamlValue, String> {
        self.count(depth)?;
        let tree = self.tree;
        match &tree.node(index)?.kind {
            NodeKind::Alias(target) => {
                self.alias_depth += 1;
                let value = self.unmarshal(*target, depth + 1);
                self.alias_depth -= 1;
                value
            }
            NodeKind::Scalar {
                value,
                tag,
                implicit,
            } => resolve::resolve_node(value, tag.as_deref(), *implicit),
            NodeKind::Sequence(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.unmarshal(*item, depth + 1)?);
                }
                Ok(YamlValue::Seq(out))
            }
            NodeKind::Mapping(pairs) => {
                let mut out = Vec::new();
                self.mapping(pairs, &mut out, depth)?;
                Ok(YamlValue::Map(out))
            }
        }
    }

    fn mapping(
        &mut self,
        pairs: &[(usize, usize)],
        out: &mut Vec<(YamlValue, YamlValue)>,
        depth: usize,
    ) -> Result<(), String> {
        for &(key, value) in pairs {
            if self.is_merge(key)? {
                self.merge(value, out, depth + 1)?;
                continue;
            }
            let key = self.unmarshal(key, depth + 1)?;
            if matches!(key, YamlValue::Seq(_) | YamlValue::Map(_)) {
                return Err(format!("yaml: invalid map key: {}", key.go_syntax()));
            }
            let line = self.tree.node(value)?.line;
            let value = self.unmarshal(value, depth + 1)?;
            self.set(out, key, value, line);
        }
        Ok(())
    }

    /// `setMapIndex`: the non-strict decode overwrites; the strict one reports the key.
    fn set(
        &mut self,
        out: &mut Vec<(YamlValue, YamlValue)>,
        key: YamlValue,
        value: YamlValue,
        line: usize,
    ) {
        match out.iter_mut().find(|(k, _)| k.same_key(&key)) {
            Some(slot) => {
                self.duplicates.push(format!(
                    "line {line}: key {} already set in map",
                    key.go_syntax()
                ));
                slot.1 = value;
            }
            None => out.push((key, value)),
        }
    }

    fn is_merge(&self, key: usize) -> Result<bool, String> {
        Ok(match &self.tree.node(key)?.kind {
            NodeKind::Scalar {
                value,
                tag,
                implicit,
            } => value == "<<" && (*implicit || tag.as_deref() == Some(resolve::MERGE_TAG)),
            _ => false,
        })
    }

    /// `<<: *base` or `<<: [*a, *b]`: the maps' entries are set into `out` (in a list, the last
    /// first, so earlier maps win).
    fn merge(
        &mut self,
        index: usize,
        out: &mut Vec<(YamlValue, YamlValue)>,
        depth: usize,
    ) -> Result<(), String> {
        let want_map =
            || "yaml: map merge requires map or sequence of maps as the value".to_owned();
        let tree = self.tree;
        match &tree.node(index)?.kind {
            NodeKind::Mapping(_) | NodeKind::Alias(_) => {
                if !self.is_mapping(index)? {
                    return Err(want_map());
                }
                self.merge_map(index, out, depth)
            }
            NodeKind::Sequence(items) => {
                for &item in items.iter().rev() {
                    if !self.is_mapping(item)? {
                        return Err(want_map());
                    }
                    self.merge_map(item, out, depth + 1)?;
                }
                Ok(())
            }
            NodeKind::Scalar { .. } => Err(want_map()),
        }
    }

    fn is_mapping(&self, index: usize) -> Result<bool, String> {
        Ok(match &self.tree.node(index)?.kind {
            NodeKind::Mapping(_) => true,
            NodeKind::Alias(target) => {
                matches!(self.tree.node(*target)?.kind, NodeKind::Mapping(_))
            }
            _ => false,
        })
    }

    fn merge_map(
        &mut self,
        index: usize,
        out: &mut Vec<(YamlValue, YamlValue)>,
        depth: usize,
    ) -> Result<(), String> {
        self.count(depth)?;
        let tree = self.tree;
        match &tree.node(index)?.kind {
            NodeKind::Alias(target) => {
                self.alias_depth += 1;
                let merged = self.merge_map(*target, out, depth + 1);
                self.alias_depth -= 1;
                merged
            }
            NodeKind::Mapping(pairs) => self.mapping(pairs, out, depth),
            _ => Err("yaml: map merge requires map or sequence of maps as the value".to_owned()),
        }
    }
}

/// yaml.v2's `allowedAliasRatio`: 99% of decodes may come from aliases in small documents,
/// scaling down to 10% in very large ones.
fn allowed_alias_ratio(decode_count: usize) -> f64 {
    const LOW: usize = 400_000;
    const HIGH: usize = 4_000_000;
    if decode_count <= LOW {
        0.99
    } else if decode_count >= HIGH {
        0.10
    } else {
        0.99 - 0.89 * ((decode_count - LOW) as f64 / (HIGH - LOW) as f64)
    }
}

/// `convertToJSONableObject` without a target type: map keys become strings (a null or
/// unsigned key is refused), then the tree is what `json.Marshal` writes (objects sorted).
fn json_value(decoded: YamlValue) -> Result<Value, String> {
    Ok(match decoded {
        YamlValue::Null => Value::Null,
        YamlValue::Bool(b) => Value::Bool(b),
        YamlValue::Int(i) => Value::Number(i as f64),
        YamlValue::Uint(u) => Value::Number(u as f64),
        YamlValue::Float(f) => Value::Number(f),
        YamlValue::Str(s) => Value::String(s),
        YamlValue::Seq(items) => Value::Array(
            items
                .into_iter()
                .map(json_value)
                .collect::<Result<_, _>>()?,
        ),
        YamlValue::Map(entries) => {
            let mut object = BTreeMap::new();
            for (key, value) in entries {
                let key = key.json_key().ok_or_else(|| {
                    format!(
                        "unsupported map key of type: {}, key: {}, value: {}",
                        key.go_type(),
                        key.go_syntax(),
                        value.go_syntax()
                    )
                })?;
                object.insert(key, json_value(value)?);
            }
            Value::Object(object.into_iter().collect())
        }
    })
}

/// `json.Marshal` refuses infinities and NaN; the first in its (sorted) order is reported as
/// `strconv.FormatFloat(f, 'g', -1, 64)` prints it.
fn first_unsupported_float(value: &Value) -> Option<&'static str> {
    match value {
        Value::Number(f) if f.is_nan() => Some("NaN"),
        Value::Number(f) if f.is_infinite() => Some(if *f > 0.0 { "+Inf" } else { "-Inf" }),
        Value::Array(items) => items.iter().find_map(first_unsupported_float),
        Value::Object(entries) => entries.iter().find_map(|(_, v)| first_unsupported_float(v)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Value {
        to_json(text).expect(text).value
    }

    fn string(s: &str) -> Value {
        Value::String(s.to_owned())
    }

    /// Each scalar as yaml.v2 resolves it, seen through the JSON kind it converts to.
    #[test]
    fn resolves_scalars_as_yaml_1_1() {
        let cases: &[(&str, Value)] = &[
            ("yes", Value::Bool(true)),
            ("No", Value::Bool(false)),
            ("on", Value::Bool(true)),
            ("OFF", Value::Bool(false)),
            ("y", Value::Bool(true)),
            ("n", Value::Bool(false)),
            ("True", Value::Bool(true)),
            ("~", Value::Null),
            ("null", Value::Null),
            ("", Value::Null),
            ("0x10", Value::Number(16.0)),
            ("010", Value::Number(8.0)),
            ("0o10", Value::Number(8.0)),
            ("0b101", Value::Number(5.0)),
            ("-0b101", Value::Number(-5.0)),
            ("1_000", Value::Number(1000.0)),
            ("08", Value::Number(8.0)),
            ("1e3", Value::Number(1000.0)),
            (".5", Value::Number(0.5)),
            ("+12", Value::Number(12.0)),
            ("'false'", string("false")),
            ("\"10\"", string("10")),
            ("!!str 10", string("10")),
            ("!!str yes", string("yes")),
            ("!!int '7'", Value::Number(7.0)),
            ("!!float 1", Value::Number(1.0)),
            ("! yes", string("yes")),
            ("!local 5", string("5")),
            ("2001-12-14", string("2001-12-14")),
            (
                "2001-12-14t21:59:43.10-05:00",
                string("2001-12-14t21:59:43.10-05:00"),
            ),
            ("3s", string("3s")),
            ("1.2.3", string("1.2.3")),
            ("0x", string("0x")),
            ("yes please", string("yes please")),
            ("|\n  true\n", string("true\n")),
            ("!!binary aGVsbG8=", string("hello")),
        ];
        for (scalar, want) in cases {
            let doc = format!("v: {scalar}\n");
            assert_eq!(
                json(&doc),
                Value::Object(vec![("v".into(), want.clone())]),
                "{scalar}"
            );
        }
    }

    #[test]
    fn keys_become_strings_and_objects_are_sorted() {
        let doc = "b: 1\nyes: 2\n1: 3\n1.5: 4\na: {z: 1, c: 2}\n";
        let Value::Object(entries) = json(doc) else {
            panic!("object");
        };
        let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["1", "1.5", "a", "b", "true"]);
        assert!(
            to_json("~: 1\n")
                .unwrap_err()
                .starts_with("unsupported map key of type:")
        );
        assert!(
            to_json("? [a]\n: 1\n")
                .unwrap_err()
                .starts_with("yaml: invalid map key: []interface {}{\"a\"}")
        );
    }

    #[test]
    fn merges_aliases_and_duplicates() {
        let doc = "base: &b {type: RBAC, name: rbac}\nx:\n  <<: *b\n  name: other\n";
        let Value::Object(entries) = json(doc) else {
            panic!("object");
        };
        assert_eq!(
            entries[1].1,
            Value::Object(vec![
                ("name".into(), string("other")),
                ("type".into(), string("RBAC")),
            ])
        );
        let converted = to_json(doc).unwrap();
        assert_eq!(
            converted.strict_error.as_deref(),
            Some("yaml: unmarshal errors:\n  line 4: key \"name\" already set in map")
        );
        let dup = to_json("a: 1\nb: 2\na: 3\n").unwrap();
        assert_eq!(
            dup.value,
            Value::Object(vec![
                ("a".into(), Value::Number(3.0)),
                ("b".into(), Value::Number(2.0))
            ])
        );
        assert!(dup.strict_error.is_some());
        assert!(to_json("a: {<<: 5}\n").is_err());
    }

    #[test]
    fn refuses_what_json_marshal_refuses() {
        assert_eq!(
            to_json("a: [1, .inf]\nb: .nan\n").unwrap_err(),
            "json: unsupported value: +Inf"
        );
        assert_eq!(
            to_json("b: -.Inf\n").unwrap_err(),
            "json: unsupported value: -Inf"
        );
    }

    #[test]
    fn reads_only_the_first_document_and_bounds_aliases() {
        assert_eq!(
            json("a: 1\n---\nb: 2\n"),
            Value::Object(vec![("a".into(), Value::Number(1.0))])
        );
        assert_eq!(json(""), Value::Null);
        assert_eq!(json("# only a comment\n"), Value::Null);
        let mut laughs = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            laughs.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        assert_eq!(
            to_json(&laughs).unwrap_err(),
            "yaml: document contains excessive aliasing"
        );
    }
}
