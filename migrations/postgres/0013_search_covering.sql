-- Search tiers read only their index (issue 11). A tier leaves out members
-- an earlier tier found, and that test reads the other name keys: they ride
-- in the index, so a count never visits a member's row.
DROP INDEX members_pinyin;
DROP INDEX members_initials;
DROP INDEX members_name_from2;
DROP INDEX members_name_from3;
CREATE INDEX members_pinyin ON members(name_pinyin, org_path, id, name_initials);
CREATE INDEX members_initials ON members(name_initials, org_path, id, name_pinyin);
CREATE INDEX members_name_from2 ON members((substr(name, 2)), org_path, id, name);
CREATE INDEX members_name_from3 ON members((substr(name, 3)), org_path, id, name);
-- The broadest prefixes people type, a surname (one character) and two
-- initials, as keys of their own with the path after them: a town's 张 is
-- one index range of the town's, not a walk through the city's.
CREATE INDEX members_name_lead ON members((substr(name, 1, 1)), org_path, id, name);
CREATE INDEX members_initials_lead ON members((substr(name_initials, 1, 2)), org_path, id, name_initials, name_pinyin);
