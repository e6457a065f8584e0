from . import portal, report
