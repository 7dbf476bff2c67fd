:

no heading