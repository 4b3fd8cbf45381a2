-- A contract's late-delivery rule (issue 10): 'Extend' (the term runs from acceptance, so GPU-time a late delivery
-- kept from the customer is served after the line's end) or 'Forfeit' (that GPU-time is lost). Existing contracts
-- keep the documented default. Additive, so a server one release older still reads and writes the table.
ALTER TABLE contracts ADD COLUMN late_delivery TEXT NOT NULL DEFAULT 'Extend';
