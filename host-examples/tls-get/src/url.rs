//! The one URL form `tls-get` takes: `https://HOST[:PORT][/PATH]`, HOST a name, an IPv4 address or
//! a bracketed IPv6 address.

/// A parsed `https://` URL.
#[derive(Debug, PartialEq, Eq)]
pub struct HttpsUrl {
    /// The host name or address, without brackets.
    pub host: String,
    /// The port (443 when the URL has none).
    pub port: u16,
    /// The path and query, `/` when the URL has none.
    pub path: String,
}

impl HttpsUrl {
    /// Parses `url`, or says what is wrong with it.
    pub fn parse(url: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("https://")
            .ok_or_else(|| format!("{url}: only https:// URLs are supported"))?;
        let (authority, path) = match rest.find('/') {
            Some(slash) => rest.split_at(slash),
            None => (rest, "/"),
        };
        let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or_else(|| format!("{url}: unclosed [ in the host"))?;
            (host, after.strip_prefix(':'))
        } else {
            match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(format!("{url}: no host"));
        }
        let port = match port {
            Some(port) => port
                .parse()
                .map_err(|_| format!("{url}: bad port {port:?}"))?,
            None => 443,
        };
        Ok(Self {
            host: host.to_owned(),
            port,
            path: path.to_owned(),
        })
    }

    /// The `Host:` header value: the host (bracketed when it is an IPv6 address) and the port.
    pub fn host_header(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_addresses_ports_and_paths() {
        let url = HttpsUrl::parse("https://localhost:4433/a?b=c").ok();
        assert_eq!(
            url,
            Some(HttpsUrl {
                host: "localhost".into(),
                port: 4433,
                path: "/a?b=c".into()
            })
        );
        let url = HttpsUrl::parse("https://[::1]:8443").ok();
        assert_eq!(url.as_ref().map(|u| u.host.as_str()), Some("::1"));
        assert_eq!(url.as_ref().map(|u| u.path.as_str()), Some("/"));
        assert_eq!(url.map(|u| u.host_header()).as_deref(), Some("[::1]:8443"));
        assert_eq!(
            HttpsUrl::parse("https://example.org").map(|u| u.port),
            Ok(443)
        );
    }

    #[test]
    fn refuses_what_it_cannot_fetch() {
        for bad in [
            "http://x/",
            "https://",
            "https://:1/",
            "https://x:99999/",
            "https://[::1/",
        ] {
            assert!(HttpsUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
