"""Password hashes through libsodium: the format, wrong input, and when to redo a hash."""

from __future__ import annotations

from casemodel.passhash import Argon2id

HASHER = Argon2id(memory_mib=1, passes=1)


def test_a_hash_is_a_standard_argon2id_string_that_matches_only_its_password():
    stored = HASHER.hash("correct horse battery staple")
    assert stored.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert stored != HASHER.hash("correct horse battery staple")  # a salt of its own
    assert HASHER.matches(stored, "correct horse battery staple")
    assert not HASHER.matches(stored, "correct horse battery stapl")


def test_something_that_is_not_an_argon2id_hash_matches_nothing():
    for stored in ["", "garbage", "$2b$12$abcdefghijklmnopqrstuv", HASHER.hash("x")[:-4]]:
        assert not HASHER.matches(stored, "x")


def test_a_hash_with_other_parameters_needs_redoing():
    assert not HASHER.needs_rehash(HASHER.hash("x"))
    assert HASHER.needs_rehash(Argon2id(memory_mib=2, passes=1).hash("x"))
    assert HASHER.needs_rehash(Argon2id(memory_mib=1, passes=2).hash("x"))
    assert HASHER.needs_rehash("$argon2id$v=19$m=1024,t=1,p=4$c2FsdHNhbHQ$aGFzaA")
    assert HASHER.needs_rehash("garbage")
