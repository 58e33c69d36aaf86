"""What `crm import` reads, apart from services/importing.py so the command line can name
them without loading the importer."""

IMPORT_KINDS = ("contacts", "clients")
FILE_SUFFIXES = (".xlsx", ".csv", ".vcf")
