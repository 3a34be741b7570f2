"""The one MetaData every table of cargohold is declared on."""

import sqlalchemy as sa

metadata = sa.MetaData()

__all__ = ["metadata"]
