"""Unique-key races: two transactions write the same alias or debtor ident at the same moment."""
from sqlalchemy.exc import IntegrityError

from portal.extensions import db


def once_more_on_unique_race(action, give_up):
    """Run `action()`. When its insert or update lost a unique-key race, roll back and run it once more: the rules
    then see the winner's row and answer with a field error. A second clash answers `give_up()`."""
    try:
        return action()
    except IntegrityError:
        db.session.rollback()
    try:
        return action()
    except IntegrityError:
        db.session.rollback()
        return give_up()
