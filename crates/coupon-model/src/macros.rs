//! Declarative macros for the two repetitive shapes of this crate: string
//! newtypes (identifiers) and open string enums (smithy-rs style).

/// Declares an identifier newtype over `String`: serde-transparent,
/// `new`/`as_str`/`into_string`, `From<&str>`/`From<String>`, `Display`,
/// `AsRef<str>`, `Borrow<str>` and comparisons with `str`.
macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default,
            serde::Serialize, serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a value as sent or received on the wire.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Unwraps the inner string.
            pub fn into_string(self) -> String {
                self.0
            }

            /// Whether the value is the empty string.
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl core::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl $crate::operation::ParamValue for $name {
            fn to_param(&self) -> String {
                self.0.clone()
            }

            fn from_param(value: &str) -> Result<Self, String> {
                Ok(Self(value.to_owned()))
            }
        }
    };
}

/// Declares an open string enum: `#[non_exhaustive]`, one variant per
/// documented value (optionally with accepted alias spellings after `|`), and
/// `Unknown(String)` keeping any other value verbatim so that it serialises
/// back unchanged. Deserialisation goes through a `str` visitor (no
/// intermediate `Value`, no allocation for known values).
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $value:literal $(| $alias:literal)*
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $(
                $(#[$vmeta])*
                $variant,
            )+
            /// A value this version of the SDK does not know. It keeps the
            /// server's spelling and serialises back unchanged. Build values
            /// with `From<&str>` so that known spellings map to their variant.
            Unknown(String),
        }

        impl $name {
            /// The documented wire values, in documentation order (aliases
            /// accepted on input are not listed).
            pub const KNOWN_VALUES: &'static [&'static str] = &[$($value),+];

            /// The wire spelling of this value (for `Unknown`, the server's).
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $value,)+
                    Self::Unknown(value) => value.as_str(),
                }
            }

            /// Whether this value is not one of the documented ones.
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }

            fn from_known(value: &str) -> Option<Self> {
                match value {
                    $($value $(| $alias)* => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match Self::from_known(value) {
                    Some(known) => known,
                    None => Self::Unknown(value.to_owned()),
                }
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                match Self::from_known(&value) {
                    Some(known) => known,
                    None => Self::Unknown(value),
                }
            }
        }

        impl core::str::FromStr for $name {
            type Err = core::convert::Infallible;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::operation::ParamValue for $name {
            fn to_param(&self) -> String {
                self.as_str().to_owned()
            }

            fn from_param(value: &str) -> Result<Self, String> {
                Ok(Self::from(value))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct EnumVisitor;

                impl serde::de::Visitor<'_> for EnumVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                        f.write_str(concat!("a string (", stringify!($name), ")"))
                    }

                    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<$name, E> {
                        Ok($name::from(value))
                    }

                    fn visit_string<E: serde::de::Error>(self, value: String) -> Result<$name, E> {
                        Ok($name::from(value))
                    }
                }

                deserializer.deserialize_str(EnumVisitor)
            }
        }
    };
}

/// The brand-side path prefix, as a literal (for `concat!`).
macro_rules! brand_prefix {
    () => {
        "/brand/marketing/product-coupon"
    };
}

/// The partner-side path prefix, as a literal (for `concat!`).
macro_rules! partner_prefix {
    () => {
        "/v3/marketing/partner/product-coupon"
    };
}

/// Implements [`RequestBody`](crate::operation::RequestBody) for a body type:
/// `validate_request` runs `$validate(&self)`; with `brand_id`, the body's
/// `brand_id: Option<BrandId>` field is the partner side's brand.
macro_rules! impl_request_body {
    ($ty:ty, validate = $validate:expr, brand_id) => {
        impl $crate::operation::RequestBody for $ty {
            fn validate_request(&self) -> Result<(), $crate::Violations> {
                let validate: fn(&$ty) -> Result<(), $crate::Violations> = $validate;
                validate(self)
            }

            fn brand_id(&self) -> Option<&$crate::ids::BrandId> {
                self.brand_id.as_ref()
            }

            fn set_brand_id(&mut self, brand_id: Option<$crate::ids::BrandId>) {
                self.brand_id = brand_id;
            }
        }
    };
    ($ty:ty, validate = $validate:expr) => {
        impl $crate::operation::RequestBody for $ty {
            fn validate_request(&self) -> Result<(), $crate::Violations> {
                let validate: fn(&$ty) -> Result<(), $crate::Violations> = $validate;
                validate(self)
            }
        }
    };
}
