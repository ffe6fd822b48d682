"""CSV import of clients: parse and check every row, then upsert the good ones in bulk, in one transaction."""

from clients.importing.csv_import import clients_import_csv
from clients.importing.parsing import COLUMNS, REQUIRED_COLUMNS
from clients.importing.report import ImportReport, RowProblem

__all__ = ["COLUMNS", "REQUIRED_COLUMNS", "ImportReport", "RowProblem", "clients_import_csv"]
