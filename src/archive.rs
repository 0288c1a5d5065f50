//! ZIP archives, written as a stream: DOCX packages, image batches and
//! `zip` jobs all go through [`ZipWriter`].
//!
//! Each entry's local header and data go to the sink as soon as the entry
//! is added; only the central directory (about 50 bytes and the name per
//! entry) stays in memory until [`ZipWriter::finish`]. So the sink can be a
//! `Vec`, a file or an HTTP body, and an archive can hold more than 65,535
//! entries or 4 GiB: ZIP64 records are written where a classic field would
//! overflow, so a small archive is a classic ZIP. The one exception is an
//! entry streamed with [`ZipWriter::stream_stored`], whose size is unknown
//! when its header is written: it always carries a ZIP64 field.
//!
//! The same entries give the same bytes: every entry carries the DOS
//! timestamp 1980-01-01 00:00 and no extra timestamps, entries are written
//! in call order, "version made by" is the entry's "version needed" (2.0,
//! or 4.5 for ZIP64) with MS-DOS as host and the external attributes are 0,
//! so extracting tools give files their default permissions. Names are
//! marked UTF-8 (general-purpose flag bit 11).
//!
//! Deflated entries share one raw deflate compressor per thread: setting
//! one up costs more than compressing a typical DOCX part.

use std::cell::RefCell;
use std::io::{self, Write};

use crate::deflate::Deflate;

/// How an entry's data is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// As is.
    Store,
    /// Raw deflate, unless that does not make the data smaller: then the
    /// entry is stored, so an entry never takes more than its data.
    Deflate,
}

/// A ZIP archive being written into `W`.
///
/// After an error from [`add`](Self::add) or [`finish`](Self::finish) part
/// of an entry may have been written: the archive is broken and the writer
/// should be dropped.
pub struct ZipWriter<W: Write> {
    out: W,
    /// Bytes written into `out`: the offset of the next local header.
    written: u64,
    /// The central directory records of the entries so far.
    central: Vec<u8>,
    entries: u64,
    limits: Limits,
}

/// The largest values that classic (non-ZIP64) fields carry. The all-ones
/// value of a field means "see the ZIP64 record", so it is not one of them.
#[derive(Clone, Copy)]
struct Limits {
    /// For the entry counts (16-bit fields).
    entries: u64,
    /// For sizes and offsets (32-bit fields).
    bytes: u64,
}

impl Limits {
    const CLASSIC: Limits = Limits {
        entries: 0xFFFE,
        bytes: 0xFFFF_FFFE,
    };
}

thread_local! {
    /// Raw deflate (no zlib header), as ZIP entries hold it.
    /// Level 2: archives carry text meant to be small (XML parts, CSV).
    static DEFLATE: RefCell<Deflate> = RefCell::new(Deflate::new(false, 2));
}

const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const ZIP64_END: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const END: u32 = 0x0605_4b50;
const DATA_DESCRIPTOR: u32 = 0x0807_4b50;

/// Header ID of the ZIP64 extended information extra field.
const ZIP64_EXTRA: u16 = 0x0001;
/// "Version needed" of an entry without ZIP64 fields: 2.0 (deflate).
const VERSION_CLASSIC: u16 = 20;
/// "Version needed" of an entry with ZIP64 fields, and of the ZIP64 end record.
const VERSION_ZIP64: u16 = 45;
/// General-purpose flag bit 11: the name is UTF-8.
const FLAG_UTF8: u16 = 1 << 11;
/// General-purpose flag bit 3: CRC and sizes follow the data.
const FLAG_DESCRIPTOR: u16 = 1 << 3;
/// DOS date of 1980-01-01 (the time is 0, 00:00).
const DOS_DATE: u16 = (1 << 5) | 1;
/// A 32-bit field whose value is in the ZIP64 extra field or end record.
const IN_ZIP64_32: u32 = 0xFFFF_FFFF;
/// A 16-bit count whose value is in the ZIP64 end record.
const IN_ZIP64_16: u16 = 0xFFFF;

impl<W: Write> ZipWriter<W> {
    /// An empty archive that writes into `out`.
    pub fn new(out: W) -> Self {
        Self::with_limits(out, Limits::CLASSIC)
    }

    /// Tests lower the limits to take the ZIP64 paths with small archives.
    fn with_limits(out: W, limits: Limits) -> Self {
        ZipWriter {
            out,
            written: 0,
            central: Vec::new(),
            entries: 0,
            limits,
        }
    }

    /// Writes one whole entry: its CRC and sizes are known up front, so no
    /// data descriptor.
    ///
    /// `name` is written as given: making it a safe relative path with `/`
    /// separators is the caller's job. A name over 65,535 bytes is an
    /// [`io::ErrorKind::InvalidInput`] error.
    pub fn add(&mut self, name: &str, data: &[u8], method: Method) -> io::Result<()> {
        let name_len = name_length(name)?;
        let name = name.as_bytes();
        let crc = crc32fast::hash(data);
        let deflated = match method {
            Method::Store => None,
            Method::Deflate => Some(DEFLATE.with_borrow_mut(|d| d.bytes(data))?)
                .filter(|packed| packed.len() < data.len()),
        };
        let (method_id, body): (u16, &[u8]) = match &deflated {
            Some(packed) => (8, packed),
            None => (0, data),
        };
        let size = data.len() as u64;
        let packed_size = body.len() as u64;
        let offset = self.written;

        let sizes_overflow = size > self.limits.bytes || packed_size > self.limits.bytes;
        let offset_overflows = offset > self.limits.bytes;
        let version = if sizes_overflow || offset_overflows {
            VERSION_ZIP64
        } else {
            VERSION_CLASSIC
        };

        // The local header's ZIP64 field, when present, holds both sizes.
        let mut local_extra = Vec::new();
        if sizes_overflow {
            put16(&mut local_extra, ZIP64_EXTRA);
            put16(&mut local_extra, 16);
            put64(&mut local_extra, size);
            put64(&mut local_extra, packed_size);
        }
        let mut local = Vec::with_capacity(30 + name.len() + local_extra.len());
        put32(&mut local, LOCAL_HEADER);
        put16(&mut local, version);
        put16(&mut local, FLAG_UTF8);
        put16(&mut local, method_id);
        put16(&mut local, 0); // time
        put16(&mut local, DOS_DATE);
        put32(&mut local, crc);
        let local_size = |value: u64| {
            if sizes_overflow {
                IN_ZIP64_32
            } else {
                value as u32
            }
        };
        put32(&mut local, local_size(packed_size));
        put32(&mut local, local_size(size));
        put16(&mut local, name_len);
        put16(&mut local, local_extra.len() as u16);
        local.extend_from_slice(name);
        local.extend_from_slice(&local_extra);
        self.out.write_all(&local)?;
        self.out.write_all(body)?;
        self.written += (local.len() + body.len()) as u64;

        self.record(&Record {
            name,
            version,
            flags: FLAG_UTF8,
            method: method_id,
            crc,
            size,
            packed_size,
            offset,
        });
        Ok(())
    }

    /// Starts an entry whose data is written as it comes (a nested archive
    /// that is itself being streamed), stored as is. Its CRC and size
    /// follow the data in a data descriptor, and since its size cannot be
    /// known up front the local header always carries a ZIP64 field, so the
    /// entry may grow past 4 GiB. Finish it with [`StreamedEntry::finish`];
    /// dropped unfinished, it leaves a broken archive.
    pub fn stream_stored(&mut self, name: &str) -> io::Result<StreamedEntry<'_, W>> {
        let name_len = name_length(name)?;
        let offset = self.written;
        let mut local = Vec::with_capacity(30 + name.len() + 20);
        put32(&mut local, LOCAL_HEADER);
        put16(&mut local, VERSION_ZIP64);
        put16(&mut local, FLAG_UTF8 | FLAG_DESCRIPTOR);
        put16(&mut local, 0); // stored
        put16(&mut local, 0); // time
        put16(&mut local, DOS_DATE);
        put32(&mut local, 0); // CRC, in the descriptor
        put32(&mut local, IN_ZIP64_32);
        put32(&mut local, IN_ZIP64_32);
        put16(&mut local, name_len);
        put16(&mut local, 20);
        local.extend_from_slice(name.as_bytes());
        put16(&mut local, ZIP64_EXTRA);
        put16(&mut local, 16);
        put64(&mut local, 0);
        put64(&mut local, 0);
        self.out.write_all(&local)?;
        self.written += local.len() as u64;
        Ok(StreamedEntry {
            zip: self,
            name: name.to_owned(),
            offset,
            crc: crc32fast::Hasher::new(),
            size: 0,
        })
    }

    /// Appends the central directory record of an entry just written.
    fn record(&mut self, entry: &Record<'_>) {
        // The central record's ZIP64 field holds just the values that
        // overflow, in the order uncompressed size, compressed size, offset.
        let mut zip64 = Vec::new();
        let mut field32 = |value: u64| {
            if value > self.limits.bytes {
                put64(&mut zip64, value);
                IN_ZIP64_32
            } else {
                value as u32
            }
        };
        let size32 = field32(entry.size);
        let packed_size32 = field32(entry.packed_size);
        let offset32 = field32(entry.offset);
        let central_extra_len = if zip64.is_empty() { 0 } else { 4 + zip64.len() };
        let version = if zip64.is_empty() {
            entry.version
        } else {
            VERSION_ZIP64
        };

        let c = &mut self.central;
        put32(c, CENTRAL_HEADER);
        put16(c, version); // made by
        put16(c, version); // needed
        put16(c, entry.flags);
        put16(c, entry.method);
        put16(c, 0); // time
        put16(c, DOS_DATE);
        put32(c, entry.crc);
        put32(c, packed_size32);
        put32(c, size32);
        put16(c, entry.name.len() as u16);
        put16(c, central_extra_len as u16);
        put16(c, 0); // comment
        put16(c, 0); // disk
        put16(c, 0); // internal attributes
        put32(c, 0); // external attributes
        put32(c, offset32);
        c.extend_from_slice(entry.name);
        if !zip64.is_empty() {
            put16(c, ZIP64_EXTRA);
            put16(c, zip64.len() as u16);
            c.extend_from_slice(&zip64);
        }
        self.entries += 1;
    }

    /// Flushes the sink: what was added so far leaves now.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Entries added so far.
    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// Writes the central directory and the end records (ZIP64 ones when a
    /// count, size or offset overflows the classic end record), flushes the
    /// sink and returns it.
    pub fn finish(mut self) -> io::Result<W> {
        let start = self.written;
        let size = self.central.len() as u64;
        self.out.write_all(&self.central)?;
        let zip64_end = start + size;

        let entries_overflow = self.entries > self.limits.entries;
        let size_overflows = size > self.limits.bytes;
        let start_overflows = start > self.limits.bytes;
        let mut end = Vec::with_capacity(56 + 20 + 22);
        if entries_overflow || size_overflows || start_overflows {
            put32(&mut end, ZIP64_END);
            put64(&mut end, 44); // the size of the rest of this record
            put16(&mut end, VERSION_ZIP64); // made by
            put16(&mut end, VERSION_ZIP64); // needed
            put32(&mut end, 0); // this disk
            put32(&mut end, 0); // the disk with the central directory
            put64(&mut end, self.entries); // on this disk
            put64(&mut end, self.entries); // in all
            put64(&mut end, size);
            put64(&mut end, start);

            put32(&mut end, ZIP64_LOCATOR);
            put32(&mut end, 0); // the disk with the ZIP64 end record
            put64(&mut end, zip64_end);
            put32(&mut end, 1); // disks
        }
        let entries16 = if entries_overflow {
            IN_ZIP64_16
        } else {
            self.entries as u16
        };
        let field32 = |value: u64, overflows: bool| {
            if overflows { IN_ZIP64_32 } else { value as u32 }
        };
        put32(&mut end, END);
        put16(&mut end, 0); // this disk
        put16(&mut end, 0); // the disk with the central directory
        put16(&mut end, entries16); // on this disk
        put16(&mut end, entries16); // in all
        put32(&mut end, field32(size, size_overflows));
        put32(&mut end, field32(start, start_overflows));
        put16(&mut end, 0); // comment
        self.out.write_all(&end)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Whether deflate makes `sample` at least 5 % smaller: a cheap guess at
/// whether a large entry of unknown kind is worth deflating.
pub fn deflate_shrinks(sample: &[u8]) -> bool {
    match DEFLATE.with_borrow_mut(|d| d.bytes(sample)) {
        Ok(packed) => packed.len() * 20 < sample.len() * 19,
        Err(_) => false,
    }
}

/// What the central directory says about one entry.
struct Record<'a> {
    name: &'a [u8],
    /// "Version needed" of the local header.
    version: u16,
    flags: u16,
    method: u16,
    crc: u32,
    size: u64,
    packed_size: u64,
    offset: u64,
}

/// An entry being written by [`ZipWriter::stream_stored`].
pub struct StreamedEntry<'a, W: Write> {
    zip: &'a mut ZipWriter<W>,
    name: String,
    offset: u64,
    crc: crc32fast::Hasher,
    size: u64,
}

impl<W: Write> Write for StreamedEntry<'_, W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = self.zip.out.write(data)?;
        self.crc.update(&data[..n]);
        self.size += n as u64;
        self.zip.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.zip.out.flush()
    }
}

impl<W: Write> StreamedEntry<'_, W> {
    /// Writes the data descriptor (CRC and 64-bit sizes, as the local
    /// header's ZIP64 field calls for) and records the entry.
    pub fn finish(self) -> io::Result<()> {
        let crc = self.crc.finalize();
        let mut descriptor = Vec::with_capacity(24);
        put32(&mut descriptor, DATA_DESCRIPTOR);
        put32(&mut descriptor, crc);
        put64(&mut descriptor, self.size);
        put64(&mut descriptor, self.size);
        self.zip.out.write_all(&descriptor)?;
        self.zip.written += descriptor.len() as u64;
        self.zip.record(&Record {
            name: self.name.as_bytes(),
            version: VERSION_ZIP64,
            flags: FLAG_UTF8 | FLAG_DESCRIPTOR,
            method: 0,
            crc,
            size: self.size,
            packed_size: self.size,
            offset: self.offset,
        });
        Ok(())
    }
}

fn name_length(name: &str) -> io::Result<u16> {
    u16::try_from(name.len()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("a ZIP entry name of {} bytes (at most 65,535)", name.len()),
        )
    })
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

#[cfg(test)]
pub(crate) mod tests {
    use std::io::{Cursor, Read};
    use std::process::Command;

    use super::*;

    /// One entry to add, and how it should come back.
    struct Case {
        name: &'static str,
        data: Vec<u8>,
        asked: Method,
        stored_as: zip::CompressionMethod,
    }

    fn case(name: &'static str, data: &[u8], asked: Method, deflated: bool) -> Case {
        let stored_as = if deflated {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        Case {
            name,
            data: data.to_vec(),
            asked,
            stored_as,
        }
    }

    fn write(cases: &[Case], limits: Limits) -> Vec<u8> {
        let mut zip = ZipWriter::with_limits(Vec::new(), limits);
        for c in cases {
            zip.add(c.name, &c.data, c.asked).expect("added");
        }
        assert_eq!(zip.entries(), cases.len() as u64);
        let written = zip.written();
        let bytes = zip.finish().expect("finished");
        assert!(written < bytes.len() as u64);
        bytes
    }

    /// Reads `bytes` with the zip crate and checks every entry against `cases`.
    fn check_read_back(bytes: &[u8], cases: &[Case], version: u16) {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("the zip crate reads it");
        assert_eq!(archive.len(), cases.len());
        for (i, c) in cases.iter().enumerate() {
            let mut entry = archive.by_index(i).expect("entry");
            assert_eq!(entry.name().expect("UTF-8 name"), c.name);
            assert_eq!(entry.compression(), c.stored_as, "{}", c.name);
            let local = entry.header_start() as usize;
            let central = entry.central_header_start() as usize;
            let made_by_and_needed = (field16(bytes, central + 4), field16(bytes, central + 6));
            assert_eq!(made_by_and_needed, (version, version), "{}", c.name);
            assert_eq!(field16(bytes, local + 4), version, "{}", c.name);
            assert_eq!(entry.size(), c.data.len() as u64, "{}", c.name);
            let sizes = (entry.size(), entry.compressed_size());
            assert_eq!(local_sizes(bytes, local), sizes, "{}", c.name);
            let t = entry.last_modified().expect("a timestamp");
            let modified = (t.year(), t.month(), t.day(), t.hour(), t.minute());
            assert_eq!(modified, (1980, 1, 1, 0, 0));
            let mut data = Vec::new();
            entry.read_to_end(&mut data).expect("entry data");
            assert!(data == c.data, "{}: contents differ", c.name);
        }
    }

    /// The uncompressed and compressed sizes in the local header at `at`,
    /// from its ZIP64 field when the header's own fields are all ones.
    /// (Readers take the sizes from the central directory.)
    fn local_sizes(bytes: &[u8], at: usize) -> (u64, u64) {
        let header = &bytes[at..];
        assert_eq!(header[..4], LOCAL_HEADER.to_le_bytes());
        let field32 = |i: usize| u32::from_le_bytes(header[i..i + 4].try_into().expect("4 bytes"));
        let field64 = |i: usize| u64::from_le_bytes(header[i..i + 8].try_into().expect("8 bytes"));
        let (packed, size) = (field32(18), field32(22));
        let name_len = usize::from(field16(header, 26));
        let extra_len = usize::from(field16(header, 28));
        if (size, packed) != (IN_ZIP64_32, IN_ZIP64_32) {
            assert_eq!(extra_len, 0);
            return (size.into(), packed.into());
        }
        let extra = 30 + name_len;
        assert_eq!(extra_len, 20);
        assert_eq!(field16(header, extra), ZIP64_EXTRA);
        assert_eq!(field16(header, extra + 2), 16);
        (field64(extra + 4), field64(extra + 12))
    }

    /// Python's zipfile and Info-ZIP's unzip read and check every entry
    /// (CRC, local header) of `bytes`.
    fn check_with_tools(bytes: &[u8], label: &str, entries: usize) {
        let path = std::env::temp_dir().join(format!(
            "docsmith-archive-{}-{label}.zip",
            std::process::id()
        ));
        std::fs::write(&path, bytes).expect("temporary file written");
        let python = Command::new("python3")
            .arg("-c")
            .arg(
                "import sys, zipfile\n\
                 with zipfile.ZipFile(sys.argv[1]) as z:\n\
                 \x20   bad = z.testzip()\n\
                 \x20   assert bad is None, bad\n\
                 \x20   print(len(z.infolist()))",
            )
            .arg(&path)
            .output()
            .expect("python3 runs");
        let unzip = Command::new("unzip")
            .arg("-tq")
            .arg(&path)
            .output()
            .expect("unzip runs");
        std::fs::remove_file(&path).expect("temporary file removed");
        let stderr = String::from_utf8_lossy(&python.stderr);
        assert!(python.status.success(), "python zipfile: {stderr}");
        assert_eq!(
            String::from_utf8_lossy(&python.stdout).trim(),
            entries.to_string()
        );
        let output = String::from_utf8_lossy(&unzip.stdout);
        assert!(unzip.status.success(), "unzip -t: {output}");
    }

    fn field16(bytes: &[u8], at: usize) -> u16 {
        u16::from_le_bytes([bytes[at], bytes[at + 1]])
    }

    fn has_zip64_end(bytes: &[u8]) -> bool {
        let signature = ZIP64_END.to_le_bytes();
        bytes.windows(4).any(|w| w == signature)
    }

    /// The entry count of the classic end record.
    fn end_record_count(bytes: &[u8]) -> u16 {
        let end = bytes.len() - 22;
        assert_eq!(bytes[end..end + 4], END.to_le_bytes());
        field16(bytes, end + 10)
    }

    /// Bytes that deflate cannot shrink.
    pub(crate) fn noise(len: usize) -> Vec<u8> {
        let mut state: u32 = 0x9E37_79B9;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state as u8
            })
            .collect()
    }

    #[test]
    fn stored_and_deflated_entries_read_back() {
        let xml = "<w:p><w:r><w:t>Invoice</w:t></w:r></w:p>".repeat(200);
        let cases = [
            case("[Content_Types].xml", b"<Types/>", Method::Store, false),
            case("word/document.xml", xml.as_bytes(), Method::Deflate, true),
            case(
                "données/ünïcødé €.txt",
                "ça marche".as_bytes(),
                Method::Store,
                false,
            ),
            case("empty-deflated", b"", Method::Deflate, false),
            case("empty-stored", b"", Method::Store, false),
            case("dir/", b"", Method::Store, false),
        ];
        let bytes = write(&cases, Limits::CLASSIC);
        check_read_back(&bytes, &cases, VERSION_CLASSIC);
        assert!(!has_zip64_end(&bytes));
        assert_eq!(end_record_count(&bytes), 6);
        check_with_tools(&bytes, "round-trip", cases.len());
    }

    #[test]
    fn incompressible_entry_is_stored() {
        let data = noise(10_000);
        let cases = [case("photo.jpeg", &data, Method::Deflate, false)];
        let bytes = write(&cases, Limits::CLASSIC);
        check_read_back(&bytes, &cases, VERSION_CLASSIC);
        // Local header, name, data, central record, name, end record.
        assert_eq!(bytes.len(), 30 + 10 + 10_000 + 46 + 10 + 22);
    }

    #[test]
    fn same_entries_give_same_bytes() {
        let xml = "<row><c>42</c></row>".repeat(500);
        let cases = || {
            [
                case("a.xml", xml.as_bytes(), Method::Deflate, true),
                case("b.bin", &noise(3000), Method::Deflate, false),
                case("c.txt", b"c", Method::Store, false),
            ]
        };
        assert_eq!(
            write(&cases(), Limits::CLASSIC),
            write(&cases(), Limits::CLASSIC)
        );
    }

    #[test]
    fn long_name_is_refused_before_writing() {
        let mut zip = ZipWriter::new(Vec::new());
        zip.add(&"n".repeat(65_535), b"", Method::Store)
            .expect("the longest name");
        let written = zip.written();
        let err = zip
            .add(&"n".repeat(65_536), b"data", Method::Store)
            .expect_err("a name too long");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert_eq!((zip.written(), zip.entries()), (written, 1));
    }

    #[test]
    fn zip64_end_records_past_65535_entries() {
        let count = 70_000;
        let mut zip = ZipWriter::new(Vec::new());
        for i in 0..count {
            zip.add(
                &format!("n/{i}.txt"),
                i.to_string().as_bytes(),
                Method::Store,
            )
            .expect("added");
        }
        let bytes = zip.finish().expect("finished");
        assert!(has_zip64_end(&bytes));
        assert_eq!(end_record_count(&bytes), IN_ZIP64_16);

        let mut archive =
            zip::ZipArchive::new(Cursor::new(&bytes)).expect("the zip crate reads it");
        assert_eq!(archive.len(), count);
        for i in 0..count {
            let mut entry = archive.by_index(i).expect("entry");
            assert_eq!(entry.name().expect("UTF-8 name"), format!("n/{i}.txt"));
            let mut text = String::new();
            entry.read_to_string(&mut text).expect("entry text");
            assert_eq!(text, i.to_string());
        }
        check_with_tools(&bytes, "zip64-count", count);
    }

    /// With classic fields limited to 1000 bytes and 2 entries, small
    /// entries take every ZIP64 path a 4 GiB archive would: each value
    /// over the limit is written as all ones, so a reader that does not
    /// find it in the extra field or the ZIP64 end record fails.
    #[test]
    fn zip64_fields_past_the_32_bit_limits() {
        let limits = Limits {
            entries: 2,
            bytes: 1000,
        };
        let cases = [
            // Uncompressed size over the limit, compressed size under.
            case("deflated", &[b'a'; 5000], Method::Deflate, true),
            // Both sizes over, and different.
            case(
                "deflated-big",
                &noise(1500).repeat(4),
                Method::Deflate,
                true,
            ),
            // Offset over.
            case("late", b"late", Method::Store, false),
            // Sizes and offset over.
            case("late-big", &noise(2000), Method::Deflate, false),
        ];
        let bytes = write(&cases, limits);
        check_read_back(&bytes, &cases, VERSION_ZIP64);
        assert!(has_zip64_end(&bytes));
        assert_eq!(end_record_count(&bytes), IN_ZIP64_16);
        check_with_tools(&bytes, "zip64-fields", cases.len());
    }

    #[test]
    fn streamed_entries_read_back_beside_whole_ones() {
        for (label, limits) in [
            ("streamed", Limits::CLASSIC),
            (
                "streamed-zip64",
                Limits {
                    entries: 0xFFFE,
                    bytes: 1000,
                },
            ),
        ] {
            let big = noise(3000);
            let mut zip = ZipWriter::with_limits(Vec::new(), limits);
            zip.add("first.txt", b"first", Method::Store)
                .expect("added");
            let mut entry = zip.stream_stored("inner/nested.zip").expect("started");
            for chunk in big.chunks(700) {
                entry.write_all(chunk).expect("written");
            }
            entry.finish().expect("finished");
            zip.add("last.txt", &[b'z'; 2000], Method::Deflate)
                .expect("added");
            let bytes = zip.finish().expect("finished");

            let mut archive = zip::ZipArchive::new(Cursor::new(&bytes)).expect("readable");
            let mut names = Vec::new();
            for i in 0..archive.len() {
                let mut entry = archive.by_index(i).expect("entry");
                names.push(String::from(entry.name().expect("name")));
                let mut data = Vec::new();
                entry.read_to_end(&mut data).expect("data");
                if i == 1 {
                    assert!(data == big, "{label}: streamed data differs");
                    assert_eq!(entry.compression(), zip::CompressionMethod::Stored);
                }
            }
            assert_eq!(names, ["first.txt", "inner/nested.zip", "last.txt"]);
            check_with_tools(&bytes, label, 3);
        }
    }
}
