//! Deserialize any serde type (here: k8s-openapi's typed objects) straight from a spanned
//! [`Node`], so a type error carries the span and field path of the offending value.
//!
//! Values follow the YAML 1.2 core schema and then JSON decoding, as the API server sees what
//! kustomize emits: `port: "80"` is a string and fails for an `int32`, `version: 1` in labels is
//! a number and fails for a string. Mapping keys are always strings, as in Kubernetes' YAML→JSON.

use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};

use crate::source::Span;
use crate::yaml::{Entry, Node, Resolved, ValueRef};

/// A value of the wrong type, with where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeError {
    pub message: String,
    /// Span of the innermost node being decoded when the error arose.
    pub span: Option<Span>,
    /// Field path from the decoded root, outermost first, e.g. `spec.ports[0].port`.
    path: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Key(String),
    Index(usize),
}

impl TypeError {
    fn at(mut self, span: Span) -> Self {
        self.span.get_or_insert(span);
        self
    }

    fn within(mut self, seg: Segment) -> Self {
        self.path.insert(0, seg);
        self
    }

    pub fn path(&self) -> String {
        let mut out = String::new();
        for seg in &self.path {
            match seg {
                Segment::Key(k) if out.is_empty() => out.push_str(k),
                Segment::Key(k) if k.contains('.') => out.push_str(&format!("[{k:?}]")),
                Segment::Key(k) => {
                    out.push('.');
                    out.push_str(k);
                }
                Segment::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }
}

impl fmt::Display for TypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TypeError {}

impl de::Error for TypeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        TypeError {
            message: msg.to_string(),
            span: None,
            path: Vec::new(),
        }
    }
}

/// Decode `T` from `node`.
pub fn from_node<'de, T: de::Deserialize<'de>>(node: &Node<'_>) -> Result<T, TypeError> {
    T::deserialize(NodeDe(node))
}

struct NodeDe<'a, 's>(&'a Node<'s>);

impl<'de> de::Deserializer<'de> for NodeDe<'_, '_> {
    type Error = TypeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TypeError> {
        let node = self.0;
        let result = match node.value() {
            ValueRef::Scalar(s) => match s.resolve() {
                Resolved::Null => visitor.visit_unit(),
                Resolved::Bool(b) => visitor.visit_bool(b),
                Resolved::Int(i) => visitor.visit_i64(i),
                Resolved::Float(f) => visitor.visit_f64(f),
                Resolved::Str(s) => visitor.visit_str(s),
            },
            ValueRef::Seq(items) => visitor.visit_seq(Seq {
                items: items.iter(),
                index: 0,
            }),
            ValueRef::Map(entries) => visitor.visit_map(Map {
                entries: entries.iter(),
                value: None,
            }),
        };
        result.map_err(|e| e.at(node.span))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TypeError> {
        if self.0.is_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, TypeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TypeError> {
        visitor.visit_unit()
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, TypeError> {
        let span = self.0.span;
        match self.0.scalar_text() {
            Some(text) => visitor
                .visit_enum(text.into_deserializer())
                .map_err(|e: TypeError| e.at(span)),
            None => self.deserialize_any(visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

struct Seq<'a, 's> {
    items: std::slice::Iter<'a, Node<'s>>,
    index: usize,
}

impl<'de> SeqAccess<'de> for Seq<'_, '_> {
    type Error = TypeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, TypeError> {
        let Some(item) = self.items.next() else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        seed.deserialize(NodeDe(item))
            .map(Some)
            .map_err(|e| e.within(Segment::Index(index)))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Map<'a, 's> {
    entries: std::slice::Iter<'a, Entry<'s>>,
    value: Option<&'a Entry<'s>>,
}

impl<'de> MapAccess<'de> for Map<'_, '_> {
    type Error = TypeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, TypeError> {
        let Some(entry) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(entry);
        seed.deserialize(KeyDe(&entry.key())).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, TypeError> {
        let entry = self
            .value
            .take()
            .ok_or_else(|| <TypeError as de::Error>::custom("value without a key"))?;
        seed.deserialize(NodeDe(entry.value())).map_err(|e| {
            let key = entry.key_text().unwrap_or("?").to_string();
            e.within(Segment::Key(key))
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// A mapping key: its text, whatever the scalar would resolve to.
struct KeyDe<'a, 's>(&'a Node<'s>);

impl<'de> de::Deserializer<'de> for KeyDe<'_, '_> {
    type Error = TypeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TypeError> {
        match self.0.scalar_text() {
            Some(text) => visitor.visit_str(text),
            None => Err(<TypeError as de::Error>::custom(
                "a mapping key must be a string",
            )),
        }
        .map_err(|e| e.at(self.0.span))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use crate::yaml::parse;
    use k8s_openapi::api::core::v1::Service;

    fn decode(text: &str) -> Result<Service, TypeError> {
        let parsed = parse(FileId(0), text);
        from_node(parsed.docs[0].root.as_ref().unwrap())
    }

    #[test]
    fn decodes_a_service() {
        let svc = decode(
            "apiVersion: v1\nkind: Service\nmetadata: {name: web, labels: {tier: \"1\"}}\nspec:\n  ports:\n  - port: 80\n    targetPort: http\n",
        )
        .unwrap();
        let port = &svc.spec.unwrap().ports.unwrap()[0];
        assert_eq!(port.port, 80);
        assert_eq!(
            port.target_port,
            Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String("http".into()))
        );
    }

    #[test]
    fn type_error_has_span_and_path() {
        let text = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports:\n  - port: eighty\n";
        let err = decode(text).unwrap_err();
        assert_eq!(err.path(), "spec.ports[0].port");
        assert_eq!(&text[err.span.unwrap().range()], "eighty");
        assert!(err.message.contains("expected i32"), "{}", err.message);
    }

    #[test]
    fn numbers_are_not_strings() {
        let text =
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  labels:\n    version: 1\n";
        let err = decode(text).unwrap_err();
        assert_eq!(err.path(), "metadata.labels.version");
        assert_eq!(&text[err.span.unwrap().range()], "1");
    }
}
