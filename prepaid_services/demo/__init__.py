from . import prepaid_demo
