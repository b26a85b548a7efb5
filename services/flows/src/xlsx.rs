//! Flows as XLSX workbooks: the import reads the first sheet of a workbook like a CSV file
//! (first line the headers), the export writes the CSV export's lines into one sheet.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use crate::csv::Record;

/// Whether `file` is a ZIP archive, as every XLSX workbook is.
pub fn is_workbook(file: &[u8]) -> bool {
    file.starts_with(b"PK\x03\x04")
}

fn text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        // Spreadsheets keep numbers as binary floats: 12.5 reads back as 12.5, 3 as 3.
        Data::Float(value) => value.to_string(),
        other => other.to_string(),
    }
}

/// The first sheet's lines, numbered as the spreadsheet numbers them; `Err` names what is
/// wrong with the file in English and French.
pub fn read(file: &[u8]) -> Result<Vec<Record>, (String, String)> {
    let unreadable = |error: &dyn std::fmt::Display| {
        (
            format!("the workbook cannot be read: {error}"),
            format!("le classeur est illisible : {error}"),
        )
    };
    let mut workbook: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(file)).map_err(|e| unreadable(&e))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| {
            (
                "the workbook has no sheet".to_owned(),
                "le classeur n'a aucune feuille".to_owned(),
            )
        })?
        .map_err(|e| unreadable(&e))?;
    let first_row = range.start().map_or(0, |(row, _)| row);
    Ok(range
        .rows()
        .enumerate()
        .map(|(index, cells)| {
            (
                first_row + index as u32 + 1,
                cells.iter().map(text).collect::<Vec<_>>(),
            )
        })
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()))
        .collect())
}

/// The lines as a one-sheet workbook, every cell text (quantities stay exact decimals).
pub fn write(rows: &[Vec<String>]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Flux")?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (row, cells) in rows.iter().enumerate() {
        for (column, value) in cells.iter().enumerate() {
            let (row, column) = (row as u32, column as u16);
            if row == 0 {
                sheet.write_string_with_format(row, column, value, &bold)?;
            } else {
                sheet.write_string(row, column, value)?;
            }
        }
    }
    workbook.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_workbook_reads_back_line_by_line() {
        let rows = vec![
            vec!["sens".to_owned(), "libellé".to_owned()],
            vec!["out".to_owned(), "Chutes de bois".to_owned()],
        ];
        let file = write(&rows).unwrap();
        assert!(is_workbook(&file));
        let read = read(&file).unwrap();
        assert_eq!(read, [(1, rows[0].clone()), (2, rows[1].clone())]);
        assert!(read_garbage_is_refused());
    }

    fn read_garbage_is_refused() -> bool {
        read(b"PK\x03\x04 not really").is_err()
    }
}
