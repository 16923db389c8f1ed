/** What a Costs or Sensitivity request is about: a preset, scenario JSON text, or no scenario (`{}`). */
export type ScenarioChoice = { preset: string } | { scenarioText: string } | Record<string, never>;
