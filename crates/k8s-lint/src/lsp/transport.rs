//! JSON-RPC framing over a byte stream, more forgiving than `lsp-server`'s own stdio
//! transport, which ends the server on the first frame it cannot decode. Here a frame whose
//! body is not a message is answered (an `InvalidRequest` error where it carries an id) and
//! logged to the client, and the next frame is read; a frame longer than [`MAX_FRAME`] is read
//! and dropped, never allocated. Only lost framing ends the connection: a header line without
//! an end, a header block without `Content-Length`, or the end of the input.

use std::io::{self, BufRead, Read, Write};
use std::thread::{self, JoinHandle};

use crossbeam_channel::{bounded, Sender};
use lsp_server::{Connection, ErrorCode, Message, Notification, RequestId, Response};
use lsp_types as lsp;

/// The longest body read. A 20 MB buffer is far past the default file-size limit and still
/// fits, JSON escapes included.
pub const MAX_FRAME: usize = 256 << 20;

/// A header line longer than this has lost the framing.
const MAX_HEADER_LINE: u64 = 4096;

/// The connection's reading and writing threads.
pub struct Threads {
    reader: JoinHandle<io::Result<()>>,
    writer: JoinHandle<io::Result<()>>,
}

impl Threads {
    /// Wait for both; the first error of either.
    pub fn join(self) -> io::Result<()> {
        let reader = self.reader.join().map_err(|_| io::Error::other("reader"))?;
        let writer = self.writer.join().map_err(|_| io::Error::other("writer"))?;
        reader.and(writer)
    }
}

/// A connection over stdin and stdout.
pub fn stdio() -> (Connection, Threads) {
    connect(io::BufReader::new(io::stdin()), io::stdout(), MAX_FRAME)
}

/// A connection reading frames of at most `limit` bytes from `input` and writing them to
/// `output`.
pub fn connect(
    input: impl BufRead + Send + 'static,
    output: impl Write + Send + 'static,
    limit: usize,
) -> (Connection, Threads) {
    let (to_writer, from_server) = bounded::<Message>(0);
    let (to_server, from_reader) = bounded::<Message>(0);
    let writer = thread::spawn(move || {
        let mut output = output;
        for message in from_server {
            message.write(&mut output)?;
        }
        Ok(())
    });
    let answer = to_writer.clone();
    let reader = thread::spawn(move || read_loop(input, limit, &to_server, &answer));
    let connection = Connection {
        sender: to_writer,
        receiver: from_reader,
    };
    (connection, Threads { reader, writer })
}

fn read_loop(
    mut input: impl BufRead,
    limit: usize,
    server: &Sender<Message>,
    writer: &Sender<Message>,
) -> io::Result<()> {
    while let Some(frame) = read_frame(&mut input, limit)? {
        let message = match frame {
            Frame::Body(body) => match serde_json::from_slice::<Message>(&body) {
                Ok(message) => message,
                Err(e) => {
                    reject(writer, &body, &e.to_string());
                    continue;
                }
            },
            Frame::TooLong(length) => {
                let why = format!("a message of {length} bytes is over the {limit}-byte limit");
                log(writer, &why);
                continue;
            }
        };
        let exit = matches!(&message, Message::Notification(n) if n.method == "exit");
        if server.send(message).is_err() || exit {
            break;
        }
    }
    Ok(())
}

/// Tell the client what could not be read; answer it if it was a request.
fn reject(writer: &Sender<Message>, body: &[u8], why: &str) {
    let id = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| serde_json::from_value::<RequestId>(v.get("id")?.clone()).ok());
    let why = format!("k8s-lint: a message was not JSON-RPC and was dropped: {why}");
    if let Some(id) = id {
        let response = Response::new_err(id, ErrorCode::InvalidRequest as i32, why.clone());
        let _ = writer.send(Message::Response(response));
    }
    log(writer, &why);
}

fn log(writer: &Sender<Message>, message: &str) {
    use lsp::notification::Notification as _;
    let params = lsp::LogMessageParams {
        typ: lsp::MessageType::ERROR,
        message: message.to_owned(),
    };
    let n = Notification::new(lsp::notification::LogMessage::METHOD.to_owned(), params);
    let _ = writer.send(Message::Notification(n));
}

enum Frame {
    Body(Vec<u8>),
    /// Read and dropped: its length.
    TooLong(usize),
}

/// The next frame; `None` at the end of the input between frames.
fn read_frame(input: &mut impl BufRead, limit: usize) -> io::Result<Option<Frame>> {
    let mut length = None;
    let mut line = Vec::new();
    let mut first = true;
    loop {
        line.clear();
        let n = input
            .by_ref()
            .take(MAX_HEADER_LINE)
            .read_until(b'\n', &mut line)?;
        if n == 0 && first {
            return Ok(None);
        }
        first = false;
        if line.last() != Some(&b'\n') {
            return Err(lost("a header line without an end"));
        }
        let header = line.trim_ascii();
        if header.is_empty() {
            break;
        }
        let header = std::str::from_utf8(header).map_err(|_| lost("a header that is not text"))?;
        if let Some((name, value)) = header.split_once(':') {
            if name.trim().eq_ignore_ascii_case("Content-Length") {
                let value = value.trim().parse::<usize>();
                length = Some(value.map_err(|_| lost("a Content-Length that is not a number"))?);
            }
        }
    }
    let length = length.ok_or_else(|| lost("a message without Content-Length"))?;
    if length > limit {
        let skipped = io::copy(&mut input.by_ref().take(length as u64), &mut io::sink())?;
        if skipped < length as u64 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        return Ok(Some(Frame::TooLong(length)));
    }
    let mut body = vec![0; length];
    input.read_exact(&mut body)?;
    Ok(Some(Frame::Body(body)))
}

fn lost(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("framing lost: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: usize = 1000;

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    /// Everything `input` makes the transport send on, and write back, in order.
    fn run(input: String) -> (Vec<Message>, Vec<serde_json::Value>, io::Result<()>) {
        let output = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let (connection, threads) = connect(
            io::Cursor::new(input.into_bytes()),
            Shared(output.clone()),
            LIMIT,
        );
        let received: Vec<Message> = connection.receiver.iter().collect();
        drop(connection);
        let result = threads.join();
        let written = output.lock().unwrap().clone();
        let mut written = written.as_slice();
        let mut replies = Vec::new();
        while let Ok(Some(Frame::Body(b))) = read_frame(&mut written, usize::MAX) {
            replies.push(serde_json::from_slice(&b).unwrap());
        }
        (received, replies, result)
    }

    #[test]
    fn a_bad_body_is_answered_and_the_next_frame_read() {
        let input = [
            frame("{not json"),
            frame(r#"{"jsonrpc":"2.0","id":7,"params":{}}"#),
            frame(r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#),
        ]
        .concat();
        let (received, replies, result) = run(input);
        assert!(result.is_ok());
        assert_eq!(received.len(), 1);
        assert!(matches!(&received[0], Message::Notification(n) if n.method == "initialized"));
        // Two logs, and an error for the request that had an id.
        assert_eq!(replies.len(), 3, "{replies:?}");
        assert_eq!(replies[0]["method"], "window/logMessage");
        assert_eq!(replies[1]["id"], 7);
        assert_eq!(replies[1]["error"]["code"], -32600);
        assert_eq!(replies[2]["method"], "window/logMessage");
    }

    #[test]
    fn a_frame_over_the_limit_is_skipped_unread() {
        let huge = format!("Content-Length: {}\r\n\r\n", LIMIT + 1);
        let mut input = huge + &" ".repeat(LIMIT + 1);
        input += &frame(r#"{"jsonrpc":"2.0","method":"exit"}"#);
        let (received, replies, result) = run(input);
        assert!(result.is_ok());
        assert!(matches!(&received[..], [Message::Notification(n)] if n.method == "exit"));
        let message = replies[0]["params"]["message"].as_str().unwrap();
        assert!(message.contains("limit"), "{message}");
    }

    #[test]
    fn lost_framing_ends_the_connection_with_an_error() {
        for input in [
            "Content-Type: x\r\n\r\n{}".to_owned(),
            "Content-Length: twelve\r\n\r\n".to_owned(),
            "x".repeat(10_000),
            "Content-Length: 100\r\n\r\n{}".to_owned(),
        ] {
            let (received, _, result) = run(input.clone());
            assert!(received.is_empty());
            assert!(result.is_err(), "{input:.40}");
        }
        // The end of the input between frames is a clean end.
        assert!(run(String::new()).2.is_ok());
    }
}
