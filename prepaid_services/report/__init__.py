from . import prepaid_statement
