-- Each component's band as `component:band` (e.g. `dpf:poor`), written with the
-- assessment: the fleet summary counts bands from this small column instead of parsing
-- every vehicle's components JSON.
ALTER TABLE vehicles ADD COLUMN component_bands TEXT[] NOT NULL DEFAULT '{}';
