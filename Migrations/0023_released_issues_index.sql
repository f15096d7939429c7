-- Issues Baton has let go of, oldest change first, so retention (SPEC §1.4) finds the ones
-- released long ago without reading the live ones; only released issues are in the index, so a
-- live issue's updates never touch it.
CREATE INDEX issues_released_by_age ON issues (updated_at) WHERE state = 'released';
