//! The click log of a SQLite server: where a redirect's click becomes durable before the
//! redirect is answered.
//!
//! The click writer appends each batch of clicks to a log of segment files beside the database
//! file (`<file>.clicks/`) in one `write` (followed by `fdatasync` when
//! `database.sqlite_synchronous = "full"`) and answers the batch's redirects once it returns,
//! so a killed process loses no click it acknowledged. The append runs on the writer's own task
//! without handing the batch to a database thread and waiting to be woken again, which is what
//! keeps a redirect's wait short. The folder reads the log from the position the main database
//! records as folded and stores the clicks it read together with the new position in one
//! transaction, so each click is folded exactly once; segments wholly behind that position are
//! deleted.
//!
//! A record is `[payload length: u32 LE][CRC-32C of the payload: u32 LE][payload]`, the payload
//! one click's queue row as a JSON array. A record cut short or damaged (the tail of a write a
//! power loss interrupted, say) ends its segment: it was never acknowledged, and at start the
//! tail of the last segment after its last whole record is cut off before new records follow.
//! Positions are byte offsets in the whole log; a segment is named by the position of its first
//! byte, so positions only grow, also across deleted segments.

use std::{
    fs::{self, File, OpenOptions},
    io::{self, BufReader, Read, Seek, SeekFrom, Write},
    path::{Path, PathBuf},
    sync::Mutex,
};

/// Slice-by-16 tables: every record is checksummed when written and again when folded, and a
/// byte-at-a-time table made the checksum a tenth of the redirect path's CPU time. The same
/// CRC-32C either way, so logs written before read the same.
static CRC: crc::Crc<u32, crc::Table<16>> =
    crc::Crc::<u32, crc::Table<16>>::new(&crc::CRC_32_ISCSI);

/// A segment is closed and a new one started once it holds this many bytes.
const SEGMENT_BYTES: u64 = 8 << 20;
const HEADER: usize = 8;
/// No click row comes near this; a larger length can only be damage.
const MAX_RECORD: usize = 64 * 1024;

/// The log directory of a SQLite database file.
pub fn dir_of(database_file: &Path) -> PathBuf {
    let mut name = database_file.as_os_str().to_owned();
    name.push(".clicks");
    PathBuf::from(name)
}

/// Appends a record holding `payload` to `buf` (see the module documentation).
pub fn encode(
    buf: &mut Vec<u8>,
    payload: impl FnOnce(&mut Vec<u8>) -> io::Result<()>,
) -> io::Result<()> {
    let at = buf.len();
    buf.extend_from_slice(&[0; HEADER]);
    payload(buf)?;
    let len = buf.len() - at - HEADER;
    if len > MAX_RECORD {
        buf.truncate(at);
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "click record too large",
        ));
    }
    let crc = CRC.checksum(&buf[at + HEADER..]);
    buf[at..at + 4].copy_from_slice(&(len as u32).to_le_bytes());
    buf[at + 4..at + HEADER].copy_from_slice(&crc.to_le_bytes());
    Ok(())
}

/// The log a server writes; one per database file, held with an exclusive lock.
pub struct ClickLog {
    dir: PathBuf,
    full_sync: bool,
    tail: Mutex<Tail>,
    /// Locked until the log is closed, so that a second server on the same file never
    /// interleaves its writes with this one's.
    lock: Mutex<Option<File>>,
}

struct Tail {
    file: File,
    /// Position of the segment's first byte.
    start: u64,
    /// Bytes of whole records in the segment.
    len: u64,
    /// Closed, or a failed write could not be undone: no further record may follow.
    broken: bool,
}

impl ClickLog {
    /// Opens the log in `dir` for writing, cutting a damaged tail off its last segment. New
    /// records go after `folded` (what the main database already holds) even when the log's
    /// end lies before it: a log restored from an older copy never numbers new clicks below
    /// the watermark.
    pub fn open(dir: &Path, full_sync: bool, folded: u64) -> io::Result<Self> {
        fs::create_dir_all(dir)?;
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join("LOCK"))?;
        lock.try_lock().map_err(|err| match err {
            fs::TryLockError::WouldBlock => io::Error::new(
                io::ErrorKind::WouldBlock,
                format!(
                    "another Chorus server is writing the click log {}; one SQLite database serves one server",
                    dir.display()
                ),
            ),
            fs::TryLockError::Error(err) => err,
        })?;
        let segments = segments(dir)?;
        let tail = match segments.last() {
            Some(&start) => {
                let path = segment_path(dir, start);
                let mut len = 0;
                walk_segment(&path, 0, usize::MAX, &mut |_, end| len = end)?;
                let mut file = OpenOptions::new().write(true).open(&path)?;
                file.set_len(len)?;
                file.seek(SeekFrom::Start(len))?;
                if start + len >= folded {
                    Some(Tail {
                        file,
                        start,
                        len,
                        broken: false,
                    })
                } else {
                    None
                }
            }
            None => None,
        };
        let tail = match tail {
            Some(tail) => tail,
            None => new_segment(dir, folded, full_sync)?,
        };
        Ok(Self {
            dir: dir.to_owned(),
            full_sync,
            tail: Mutex::new(tail),
            lock: Mutex::new(Some(lock)),
        })
    }

    /// Releases the log to the next server once this one has stopped writing; appends fail
    /// from now on.
    pub fn close(&self) {
        if let Ok(mut tail) = self.tail.lock() {
            tail.broken = true;
        }
        if let Ok(mut lock) = self.lock.lock() {
            lock.take();
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// True when each append is also synced to the device (and should run off the async
    /// workers).
    pub fn full_sync(&self) -> bool {
        self.full_sync
    }

    /// Appends encoded records (see [`encode`]) in one write; once this returns they are
    /// durable (against a killed process; with `full_sync` also against power loss).
    pub fn append(&self, records: &[u8]) -> io::Result<()> {
        let mut tail = self
            .tail
            .lock()
            .map_err(|_| io::Error::other("click log writer poisoned"))?;
        if tail.broken {
            return Err(io::Error::other(
                "the click log is closed, or an earlier write failed and could not be undone",
            ));
        }
        if tail.len >= SEGMENT_BYTES {
            let next = new_segment(&self.dir, tail.start + tail.len, self.full_sync)?;
            *tail = next;
        }
        let result = tail.file.write_all(records).and_then(|()| {
            if self.full_sync {
                tail.file.sync_data()
            } else {
                Ok(())
            }
        });
        match result {
            Ok(()) => {
                tail.len += records.len() as u64;
                Ok(())
            }
            Err(err) => {
                // Part of the batch may be in the file: cut it off, so that the next batch
                // follows the last whole record (these clicks are answered as not stored).
                let len = tail.len;
                let undone = tail
                    .file
                    .set_len(len)
                    .and_then(|()| tail.file.seek(SeekFrom::Start(len)).map(|_| ()));
                if undone.is_err() {
                    tail.broken = true;
                }
                Err(err)
            }
        }
    }
}

/// Clicks read from the log: their rows as one JSON array, how many, and the position after
/// the last one.
pub struct Chunk {
    pub rows: String,
    pub count: usize,
    pub next: u64,
}

/// Reads up to `max` records from position `from` of the log in `dir` (written by this or
/// another process; a record still being written ends the read).
pub fn read(dir: &Path, from: u64, max: usize) -> io::Result<Chunk> {
    let mut rows = String::from("[");
    let mut count = 0;
    let next = walk(dir, from, max, &mut |payload| {
        if count > 0 {
            rows.push(',');
        }
        // Checked by the record's CRC; a payload is written from a JSON string.
        rows.push_str(&String::from_utf8_lossy(payload));
        count += 1;
    })?;
    rows.push(']');
    Ok(Chunk { rows, count, next })
}

/// Records in the log after position `from`.
pub fn pending(dir: &Path, from: u64) -> io::Result<u64> {
    let mut n = 0;
    walk(dir, from, usize::MAX, &mut |_| n += 1)?;
    Ok(n)
}

/// Deletes the segments that lie wholly before `position` (never the last one, which the
/// writer appends to).
pub fn remove_before(dir: &Path, position: u64) -> io::Result<()> {
    let segments = segments(dir)?;
    for pair in segments.windows(2) {
        if pair[1] <= position {
            match fs::remove_file(segment_path(dir, pair[0])) {
                Err(err) if err.kind() != io::ErrorKind::NotFound => return Err(err),
                _ => {}
            }
        }
    }
    Ok(())
}

/// Visits up to `max` payloads from position `from`, across segments; answers the position
/// after the last one visited.
fn walk(dir: &Path, from: u64, max: usize, each: &mut dyn FnMut(&[u8])) -> io::Result<u64> {
    let segments = match segments(dir) {
        Ok(segments) => segments,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(from),
        Err(err) => return Err(err),
    };
    let mut position = from;
    let mut left = max;
    for (i, &start) in segments.iter().enumerate() {
        let next_start = segments.get(i + 1).copied();
        if next_start.is_some_and(|next| next <= position) {
            continue;
        }
        // A log restored from an older copy can start after `position`: what lies between was
        // folded already or never written.
        let offset = position.saturating_sub(start);
        let mut visited = 0;
        let mut end = offset;
        walk_segment(
            &segment_path(dir, start),
            offset,
            left,
            &mut |payload, after| {
                each(payload);
                visited += 1;
                end = after;
            },
        )?;
        position = start + end;
        left -= visited;
        if left == 0 {
            break;
        }
        // The end of a segment that has a successor (whole, or cut short by a power loss
        // before the log moved on): the read continues there.
        match next_start {
            Some(next) => position = position.max(next),
            None => break,
        }
    }
    Ok(position)
}

/// Visits up to `max` whole records of one segment from byte `offset`, with the offset after
/// each; stops at the first record cut short or damaged.
fn walk_segment(
    path: &Path,
    offset: u64,
    max: usize,
    each: &mut dyn FnMut(&[u8], u64),
) -> io::Result<()> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        // Deleted by a fold that moved past it meanwhile.
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(err),
    };
    file.seek(SeekFrom::Start(offset))?;
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let mut position = offset;
    let mut header = [0; HEADER];
    let mut payload = Vec::with_capacity(512);
    for _ in 0..max {
        if !read_full(&mut reader, &mut header)? {
            break;
        }
        let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        if len > MAX_RECORD {
            break;
        }
        payload.resize(len, 0);
        if !read_full(&mut reader, &mut payload)? || CRC.checksum(&payload) != crc {
            break;
        }
        position += (HEADER + len) as u64;
        each(&payload, position);
    }
    Ok(())
}

/// Fills `buf`; false if the file ends first.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<bool> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => return Ok(false),
            Ok(n) => filled += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(true)
}

fn segment_path(dir: &Path, start: u64) -> PathBuf {
    dir.join(format!("{start:020}.log"))
}

/// The segments' starting positions, in order.
fn segments(dir: &Path) -> io::Result<Vec<u64>> {
    let mut starts: Vec<u64> = fs::read_dir(dir)?
        .filter_map(|entry| {
            let name = entry.ok()?.file_name();
            name.to_str()?.strip_suffix(".log")?.parse().ok()
        })
        .collect();
    starts.sort_unstable();
    Ok(starts)
}

fn new_segment(dir: &Path, start: u64, full_sync: bool) -> io::Result<Tail> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(segment_path(dir, start))?;
    if full_sync {
        // The new name must survive a power loss too.
        File::open(dir)?.sync_all()?;
    }
    Ok(Tail {
        file,
        start,
        len: 0,
        broken: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(from: usize, n: usize) -> Vec<u8> {
        let mut buf = Vec::new();
        for i in from..from + n {
            encode(&mut buf, |b| {
                b.extend_from_slice(format!("[{i}]").as_bytes());
                Ok(())
            })
            .expect("encode");
        }
        buf
    }

    /// The table layout is an implementation detail: the checksum is CRC-32C, so logs written
    /// with any table read the same.
    #[test]
    fn the_checksum_is_crc32c() {
        // The check value of CRC-32C (RFC 3720, B.4).
        assert_eq!(CRC.checksum(b"123456789"), 0xE306_9283);
        let bytewise = crc::Crc::<u32>::new(&crc::CRC_32_ISCSI);
        let payload = records(0, 50);
        assert_eq!(CRC.checksum(&payload), bytewise.checksum(&payload));
    }

    #[test]
    fn records_are_read_back_from_any_position_and_a_torn_tail_is_cut_off() {
        let dir = tempfile::tempdir().expect("dir");
        let log_dir = dir.path().join("db.clicks");
        let log = ClickLog::open(&log_dir, false, 0).expect("open");
        log.append(&records(0, 3)).expect("append");
        let all = read(&log_dir, 0, 100).expect("read");
        assert_eq!((all.rows.as_str(), all.count), ("[[0],[1],[2]]", 3));
        let first = read(&log_dir, 0, 2).expect("read");
        assert_eq!(first.rows, "[[0],[1]]");
        let rest = read(&log_dir, first.next, 100).expect("read");
        assert_eq!((rest.rows.as_str(), rest.next), ("[[2]]", all.next));
        assert_eq!(pending(&log_dir, first.next).expect("pending"), 1);

        // Half a record, as a write cut short by a power loss leaves it.
        let torn = records(3, 1);
        let path = segment_path(&log_dir, 0);
        let mut file = OpenOptions::new().append(true).open(&path).expect("file");
        file.write_all(&torn[..torn.len() - 2]).expect("write");
        assert_eq!(
            read(&log_dir, 0, 100).expect("read").count,
            3,
            "a torn record is not read"
        );
        // And a damaged one (a flipped byte) is not read either.
        drop(log);
        let log = ClickLog::open(&log_dir, false, 0).expect("reopen");
        assert_eq!(
            fs::metadata(&path).expect("meta").len(),
            all.next,
            "torn tail cut off"
        );
        log.append(&records(4, 1)).expect("append");
        assert_eq!(
            read(&log_dir, 0, 100).expect("read").rows,
            "[[0],[1],[2],[4]]"
        );
        let mut bytes = fs::read(&path).expect("read file");
        let last = bytes.len() - 2;
        bytes[last] ^= 0x55;
        fs::write(&path, bytes).expect("write file");
        assert_eq!(
            read(&log_dir, 0, 100).expect("read").count,
            3,
            "a damaged record ends the log"
        );
    }

    #[test]
    fn segments_roll_and_folded_ones_are_removed() {
        let dir = tempfile::tempdir().expect("dir");
        let log_dir = dir.path().join("db.clicks");
        let log = ClickLog::open(&log_dir, true, 0).expect("open");
        let mut written = 0;
        let mut n = 0;
        while written <= SEGMENT_BYTES {
            let batch = records(n, 1000);
            written += batch.len() as u64;
            n += 1000;
            log.append(&batch).expect("append");
        }
        log.append(&records(n, 1))
            .expect("append into a new segment");
        assert_eq!(segments(&log_dir).expect("segments").len(), 2);
        let all = read(&log_dir, 0, usize::MAX).expect("read");
        assert_eq!(all.count, n + 1, "a read continues into the next segment");
        assert_eq!(all.next, written + records(n, 1).len() as u64);
        remove_before(&log_dir, written - 1).expect("remove");
        assert_eq!(
            segments(&log_dir).expect("segments").len(),
            2,
            "not wholly folded"
        );
        remove_before(&log_dir, all.next).expect("remove");
        assert_eq!(
            segments(&log_dir).expect("segments"),
            vec![written],
            "the tail is kept"
        );
        assert_eq!(
            read(&log_dir, written, 10).expect("read").rows,
            format!("[[{n}]]")
        );
    }

    #[test]
    fn new_clicks_never_go_below_the_folded_position_and_one_writer_holds_the_log() {
        let dir = tempfile::tempdir().expect("dir");
        let log_dir = dir.path().join("db.clicks");
        let log = ClickLog::open(&log_dir, false, 0).expect("open");
        log.append(&records(0, 2)).expect("append");
        let second = ClickLog::open(&log_dir, false, 0);
        assert!(second.is_err(), "a second writer is refused");
        log.close();
        assert!(
            log.append(&records(2, 1)).is_err(),
            "a closed log takes no more clicks"
        );
        assert_eq!(read(&log_dir, 0, 10).expect("read").count, 2);
        // The database folded further than this log holds (a log restored from an older copy).
        let log = ClickLog::open(&log_dir, false, 5_000).expect("open");
        log.append(&records(7, 1)).expect("append");
        let chunk = read(&log_dir, 5_000, 10).expect("read");
        assert_eq!(chunk.rows, "[[7]]");
    }
}
