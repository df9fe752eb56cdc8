"""The scoping pack and the integrated chronology (process.md stage 1 step 6).

Before the sub-group meets, every agency's return and chronology is merged
into one pack: a cover sheet (key dates, who was asked, who answered, who
was chased), the referral summary, each return, and the integrated
chronology in date order, with the chronology also as a spreadsheet and the
case front sheet (Swindon Appendix 7) beside it.

The modules, in the order a pack is made:

- ``collect``    the case's records, requests and earlier packs, read once
- ``dates``      a date cell's place in time ("June 2014 approx" → 1 June 2014)
- ``family``     the initials the case uses for family members
- ``chronology`` rows from returns and chronology forms, merged and numbered
- ``duplicates`` rows that look like one event from two agencies, marked
- ``frontsheet`` milestones done and due
- ``sections``   the words of the cover, referral summary and returns
- ``render``, ``tablefill``, ``sheet``   the .docx files and the .xlsx
- ``build``      all of it for one case, writing nothing
- ``send``       stored, emailed and audited once per distinct content
- ``actions``    when: all returns in, ``PACK`` by email, a later answer
- ``scheduled``  the date a business manager sets (``PACK <ref> ON <date>``)
"""
