/**
 * Writes the ELM (JSON) of the DTR CQL libraries of the Tecartus policy:
 * policies/tecartus-carepartners-ct/dtr/TecartusPriorAuth.elm.json and
 * FHIRHelpers.elm.json. No CQL-to-ELM translator runs here (it is Java), so
 * each CQL definition is written again below as ELM, in the same order and
 * with the same name, in the shapes the translator gives (Retrieve with
 * templateId, FHIRHelpers conversions around FHIR elements, InValueSet with a
 * preserved value set reference, FunctionRef signatures), without locators,
 * annotations or result types.
 *
 * Change the .cql file and this script together, then run:
 *   node --import tsx scripts/generate-dtr-elm.ts
 * test/dtr/questionnaire-package.test.ts checks that the ELM files are what
 * this script writes and that the CQL and the ELM declare the same
 * definitions; test/dtr/population-cql.test.ts and
 * test/dtr/cql-agrees-with-case-library.test.ts run the ELM.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fromRoot } from '../src/paths.js';

type Node = Record<string, unknown>;

const DTR_DIRECTORY = fromRoot('policies', 'tecartus-carepartners-ct', 'dtr');
const POLICY_VERSION = '2025-09-01';
const CANONICAL_BASE = 'https://www.carepartnersct.com/fhir';
const POLICY_ID = 'carepartners-ct-tecartus';
const HISTOLOGY_EXTENSION = 'http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior';

// ---------------------------------------------------------------- ELM builders

const fhirType = (name: string) => `{http://hl7.org/fhir}${name}`;
const systemType = (name: string) => `{urn:hl7-org:elm-types:r1}${name}`;
const named = (name: string): Node => ({ type: 'NamedTypeSpecifier', name });
const fhirNamed = (name: string) => named(fhirType(name));
const listOf = (element: Node): Node => ({ type: 'ListTypeSpecifier', elementType: element });
const choiceOf = (...choices: Node[]): Node => ({ type: 'ChoiceTypeSpecifier', choice: choices });

const ref = (name: string): Node => ({ type: 'ExpressionRef', name });
const alias = (name: string): Node => ({ type: 'AliasRef', name });
const operandRef = (name: string): Node => ({ type: 'OperandRef', name });
const codeRef = (name: string): Node => ({ type: 'CodeRef', name });
/** `A.path` on an alias (scope) or on an expression (source). */
const prop = (source: Node | string, path: string): Node => (typeof source === 'string' ? { type: 'Property', path, scope: source } : { type: 'Property', path, source });
const str = (value: string): Node => ({ type: 'Literal', valueType: systemType('String'), value });
const int = (value: number): Node => ({ type: 'Literal', valueType: systemType('Integer'), value: String(value) });
const bool = (value: boolean): Node => ({ type: 'Literal', valueType: systemType('Boolean'), value: String(value) });
const list = (...element: Node[]): Node => ({ type: 'List', element });
const strings = (...values: string[]) => list(...values.map(str));
const nullAs = (type: Node | string): Node =>
  typeof type === 'string' ? { type: 'As', asType: type, operand: { type: 'Null' } } : { type: 'As', asTypeSpecifier: type, operand: { type: 'Null' } };
const as = (operand: Node, fhirTypeName: string): Node => ({ type: 'As', asType: fhirType(fhirTypeName), operand });

const helper = (name: string, fhirTypeName: string) => (operand: Node): Node => ({
  type: 'FunctionRef',
  name,
  libraryName: 'FHIRHelpers',
  operand: [operand],
  signature: [fhirNamed(fhirTypeName)],
});
const toConcept = helper('ToConcept', 'CodeableConcept');
const toCode = helper('ToCode', 'Coding');
const toString = (fhirTypeName: string) => helper('ToString', fhirTypeName);
const toDateTime = helper('ToDateTime', 'dateTime');
const toDateTimeFromInstant = helper('ToDateTime', 'instant');
const toBoolean = helper('ToBoolean', 'boolean');
const uriString = toString('uri');
const stringValue = toString('string');
const idString = toString('id');

/** A call of a function of this library; `signature` lists its operand types. */
const call = (name: string, signature: Node[], ...operand: Node[]): Node => ({ type: 'FunctionRef', name, operand, signature });

const op = (type: string) => (...operand: Node[]): Node => ({ type, operand });
const binary = (type: string) => (a: Node, b: Node): Node => ({ type, operand: [a, b] });
/** Left-associative, as the translator nests `a and b and c`. */
const chain = (type: string) => (...operands: Node[]): Node => operands.reduce((left, right) => ({ type, operand: [left, right] }));
const and = chain('And');
const or = chain('Or');
const not = (operand: Node): Node => ({ type: 'Not', operand });
const exists = (operand: Node): Node => ({ type: 'Exists', operand });
const isNull = (operand: Node): Node => ({ type: 'IsNull', operand });
const isNotNull = (operand: Node) => not(isNull(operand));
const equal = binary('Equal');
const equivalent = binary('Equivalent');
const inList = binary('In');
const after = binary('After');
const endsWith = binary('EndsWith');
const concatenate = chain('Concatenate');
const coalesce = op('Coalesce');
const subtract = binary('Subtract');
const add = binary('Add');
const iff = (condition: Node, then: Node, otherwise: Node): Node => ({ type: 'If', condition, then, else: otherwise });
const first = (source: Node): Node => ({ type: 'First', source });
const max = (source: Node): Node => ({ type: 'Max', source });
const min = (source: Node): Node => ({ type: 'Min', source });
const flatten = (operand: Node): Node => ({ type: 'Flatten', operand });
const dateFrom = (operand: Node): Node => ({ type: 'DateFrom', operand });
const component = (precision: 'Year' | 'Month' | 'Day', operand: Node): Node => ({ type: 'DateTimeComponentFrom', precision, operand });
const today: Node = { type: 'Today' };
const quantity = (value: number, unit: string): Node => ({ type: 'Quantity', value, unit });
const calculateAgeInYearsAt = (birthDate: Node, asOf: Node): Node => ({ type: 'CalculateAgeAt', precision: 'Year', operand: [birthDate, asOf] });
const retrieve = (resourceType: string): Node => ({ type: 'Retrieve', dataType: fhirType(resourceType), templateId: `http://hl7.org/fhir/StructureDefinition/${resourceType}` });

/** `source A where ... return all ...` (`return all`: the translator's distinct: false; `distinctReturns`: `return ...`). */
function query(aliasName: string, source: Node, clauses: { where?: Node; returns?: Node; distinctReturns?: Node } = {}): Node {
  return {
    type: 'Query',
    source: [{ alias: aliasName, expression: source }],
    relationship: [],
    ...(clauses.where ? { where: clauses.where } : {}),
    ...(clauses.returns ? { return: { distinct: false, expression: clauses.returns } } : {}),
    ...(clauses.distinctReturns ? { return: { expression: clauses.distinctReturns } } : {}),
  };
}

/** `concept in "Value Set"` for a CodeableConcept. */
const conceptIn = (concept: Node, valueSet: string): Node => ({ type: 'InValueSet', code: toConcept(concept), valueset: { name: valueSet, preserve: true } });
/** `coding in "Value Set"` for a Coding. */
const codingIn = (coding: Node, valueSet: string): Node => ({ type: 'InValueSet', code: toCode(coding), valueset: { name: valueSet, preserve: true } });
/** `concept ~ "code"` for a CodeableConcept. */
const conceptIs = (concept: Node, code: string) => equivalent(toConcept(concept), { type: 'ToConcept', operand: codeRef(code) });
/** `coding ~ "code"` for a Coding. */
const codingIs = (coding: Node, code: string) => equivalent(toCode(coding), codeRef(code));

const define = (name: string, expression: Node): Node => ({ name, context: 'Patient', accessLevel: 'Public', expression });
const defineFunction = (name: string, operands: [string, Node][], expression: Node): Node => ({
  type: 'FunctionDef',
  name,
  context: 'Patient',
  accessLevel: 'Public',
  expression,
  operand: operands.map(([operandName, operandTypeSpecifier]) => ({ name: operandName, operandTypeSpecifier })),
});

function library(identifier: { id: string; version: string }, parts: Node): Node {
  return {
    library: {
      identifier,
      schemaIdentifier: { id: 'urn:hl7-org:elm', version: 'r1' },
      usings: {
        def: [
          { localIdentifier: 'System', uri: 'urn:hl7-org:elm-types:r1' },
          { localIdentifier: 'FHIR', uri: 'http://hl7.org/fhir', version: '4.0.1' },
        ],
      },
      ...parts,
    },
  };
}

// ---------------------------------------------------------------- FHIRHelpers.cql

function fhirHelpers(): Node {
  const valueOf = (fhirTypeName: string, functionName: string) =>
    defineFunction(functionName, [['value', fhirNamed(fhirTypeName)]], prop(operandRef('value'), 'value'));
  const toCodeDefinition = defineFunction(
    'ToCode',
    [['coding', fhirNamed('Coding')]],
    iff(isNull(operandRef('coding')), nullAs(systemType('Code')), {
      type: 'Instance',
      classType: systemType('Code'),
      element: ['code', 'system', 'version', 'display'].map((name) => ({ name, value: prop(prop(operandRef('coding'), name), 'value') })),
    }),
  );
  const toConceptDefinition = defineFunction(
    'ToConcept',
    [['concept', fhirNamed('CodeableConcept')]],
    iff(isNull(operandRef('concept')), nullAs(systemType('Concept')), {
      type: 'Instance',
      classType: systemType('Concept'),
      element: [
        {
          name: 'codes',
          value: {
            type: 'Query',
            source: [{ alias: 'C', expression: prop(operandRef('concept'), 'coding') }],
            relationship: [],
            return: { expression: { type: 'FunctionRef', name: 'ToCode', operand: [alias('C')], signature: [fhirNamed('Coding')] } },
          },
        },
        { name: 'display', value: prop(prop(operandRef('concept'), 'text'), 'value') },
      ],
    }),
  );
  return library(
    { id: 'FHIRHelpers', version: '4.0.1' },
    {
      contexts: { def: [{ name: 'Patient' }] },
      statements: {
        def: [
          toCodeDefinition,
          toConceptDefinition,
          valueOf('EncounterStatus', 'ToString'),
          valueOf('MedicationAdministrationStatus', 'ToString'),
          valueOf('MedicationRequestStatus', 'ToString'),
          valueOf('MedicationStatementStatus', 'ToString'),
          valueOf('ProcedureStatus', 'ToString'),
          valueOf('ObservationStatus', 'ToString'),
          valueOf('ServiceRequestStatus', 'ToString'),
          valueOf('string', 'ToString'),
          valueOf('uri', 'ToString'),
          valueOf('id', 'ToString'),
          valueOf('boolean', 'ToBoolean'),
          valueOf('dateTime', 'ToDateTime'),
          valueOf('instant', 'ToDateTime'),
        ],
      },
    },
  );
}

// ---------------------------------------------------------------- TecartusPriorAuth.cql

const CODE_SYSTEMS: [string, string][] = [
  ['ConditionClinicalStatusCodes', 'http://terminology.hl7.org/CodeSystem/condition-clinical'],
  ['ConditionVerificationStatusCodes', 'http://terminology.hl7.org/CodeSystem/condition-ver-status'],
  ['ActCode', 'http://terminology.hl7.org/CodeSystem/v3-ActCode'],
  ['MedicationRequestCategory', 'http://terminology.hl7.org/CodeSystem/medicationrequest-category'],
  ['SNOMEDCT', 'http://snomed.info/sct'],
  ['YesNo', 'http://terminology.hl7.org/CodeSystem/v2-0136'],
];

/** Value set name → the policy.json code set it is generated from (its URL's last segment, kebab case). */
const VALUE_SETS: [string, string][] = [
  ['Tecartus Product', 'tecartus-product'],
  ['Mantle Cell Lymphoma', 'mantle-cell-lymphoma'],
  ['B-Cell Precursor ALL', 'b-cell-precursor-all'],
  ['ALL Lineage Not Coded', 'lineage-unspecified-all'],
  ['B-Cell Precursor Morphology', 'b-precursor-morphology'],
  ['T-Cell Precursor Morphology', 't-precursor-morphology'],
  ['Not B-Cell Precursor Morphology', 'not-precursor-b-morphology'],
  ['Relapsed Or Refractory Diagnosis', 'relapsed-or-refractory-diagnosis'],
  ['Relapse Or Refractory Status', 'relapsed-or-refractory-qualifier'],
  ['Remission', 'remission'],
  ['Cancer Disease Status', 'disease-status-observation'],
  ['Disease Progression', 'disease-worsened'],
  ['CAR-T Administration', 'car-t-administration'],
  ['CAR-T Product', 'car-t-product'],
  ['CAR-T History', 'car-t-history'],
];

/** [name, code, code system, display] */
const CODES: [string, string, string, string][] = [
  ['active', 'active', 'ConditionClinicalStatusCodes', 'Active'],
  ['relapse', 'relapse', 'ConditionClinicalStatusCodes', 'Relapse'],
  ['recurrence', 'recurrence', 'ConditionClinicalStatusCodes', 'Recurrence'],
  ['remission', 'remission', 'ConditionClinicalStatusCodes', 'Remission'],
  ['entered-in-error', 'entered-in-error', 'ConditionVerificationStatusCodes', 'Entered in Error'],
  ['refuted', 'refuted', 'ConditionVerificationStatusCodes', 'Refuted'],
  ['provisional', 'provisional', 'ConditionVerificationStatusCodes', 'Provisional'],
  ['differential', 'differential', 'ConditionVerificationStatusCodes', 'Differential'],
  ['unconfirmed', 'unconfirmed', 'ConditionVerificationStatusCodes', 'Unconfirmed'],
  ['ambulatory', 'AMB', 'ActCode', 'ambulatory'],
  ['observation encounter', 'OBSENC', 'ActCode', 'observation encounter'],
  ['short stay', 'SS', 'ActCode', 'short stay'],
  ['inpatient encounter', 'IMP', 'ActCode', 'inpatient encounter'],
  ['inpatient acute', 'ACUTE', 'ActCode', 'inpatient acute'],
  ['inpatient non-acute', 'NONAC', 'ActCode', 'inpatient non-acute'],
  ['outpatient', 'outpatient', 'MedicationRequestCategory', 'Outpatient'],
  ['community', 'community', 'MedicationRequestCategory', 'Community'],
  ['inpatient', 'inpatient', 'MedicationRequestCategory', 'Inpatient'],
  ['Mantle cell lymphoma', '443487006', 'SNOMEDCT', 'Mantle cell lymphoma (disorder)'],
  ['Acute lymphoid leukemia', '91857003', 'SNOMEDCT', 'Acute lymphoid leukemia (disorder)'],
  ['No', '373067005', 'SNOMEDCT', 'No'],
  ['N', 'N', 'YesNo', 'No'],
];

// The signatures of this library's functions, for FunctionRefs.
const SIGNATURES = {
  Drug: [choiceOf(fhirNamed('CodeableConcept'), fhirNamed('Reference'))],
  'Referenced Medication': [fhirNamed('Reference')],
  'Refers To': [fhirNamed('Reference'), named(systemType('String')), named(systemType('String'))],
  'Planned Day': [fhirNamed('Timing')],
  'Full Day': [named(systemType('DateTime'))],
  'On Or Before Today': [named(systemType('DateTime'))],
  'Condition Date': [fhirNamed('Condition')],
  'Condition Status Date': [fhirNamed('Condition')],
  'Observation Date': [fhirNamed('Observation')],
  'Procedure Date': [fhirNamed('Procedure')],
  'Is Established': [fhirNamed('Condition')],
  'Is Current': [fhirNamed('Condition')],
  'Has Relapse Status': [fhirNamed('Condition')],
  'Has Remission Status': [fhirNamed('Condition')],
  'Is CAR-T': [fhirNamed('CodeableConcept')],
  'In A Draft Order Set': [fhirNamed('Identifier')],
  'Carries Out The Current Course': [listOf(fhirNamed('Reference'))],
} satisfies Record<string, Node[]>;
type FunctionName = keyof typeof SIGNATURES;
const fn = (name: FunctionName, ...operands: Node[]) => call(name, SIGNATURES[name], ...operands);
const operands = (name: FunctionName, ...names: string[]): [string, Node][] => names.map((n, i) => [n, SIGNATURES[name][i]!]);

// Frequent pieces.
const tecartusOrderAs = (resourceType: 'MedicationRequest' | 'ServiceRequest') => as(ref('Tecartus Order'), resourceType);
const orderElement = (path: string) => coalesce(prop(tecartusOrderAs('MedicationRequest'), path), prop(tecartusOrderAs('ServiceRequest'), path));
const valueAsConcept = (source: Node | string) => as(prop(source, 'value'), 'CodeableConcept');
const isEvidence = (conditionAlias: string) =>
  not(or(conceptIs(prop(conditionAlias, 'verificationStatus'), 'entered-in-error'), conceptIs(prop(conditionAlias, 'verificationStatus'), 'refuted')));
const onOrBeforeToday = (value: Node) => fn('On Or Before Today', value);
const refersTo = (reference: Node, resourceType: string, idOf: string) => fn('Refers To', reference, str(resourceType), idString(prop(idOf, 'id')));
const sameId = (a: string, b: string) => equal(idString(prop(a, 'id')), idString(prop(b, 'id')));
const idValue = (aliasName: string) => prop(prop(aliasName, 'id'), 'value');
const histologyIn = (conditionAlias: string, ...valueSets: string[]) =>
  exists(
    query('E', prop(conditionAlias, 'extension'), {
      where: and(equal(uriString(prop('E', 'url')), str(HISTOLOGY_EXTENSION)), or(...valueSets.map((vs) => conceptIn(valueAsConcept('E'), vs)))),
    }),
  );
const statusIs = (statusType: string, aliasName: string, value: string) => equal(toString(statusType)(prop(aliasName, 'status')), str(value));
const statusIn = (statusType: string, aliasName: string, ...values: string[]) => inList(toString(statusType)(prop(aliasName, 'status')), strings(...values));
const carriesOut = (references: Node) => fn('Carries Out The Current Course', references);
const statusOnCondition = (valueSet: string) =>
  or(
    conceptIn(prop(operandRef('C'), 'code'), valueSet),
    exists(query('S', prop(operandRef('C'), 'stage'), { where: or(conceptIn(prop('S', 'summary'), valueSet), conceptIn(prop('S', 'type'), valueSet)) })),
    exists(query('E', prop(operandRef('C'), 'evidence'), { where: exists(query('X', prop('E', 'code'), { where: conceptIn(alias('X'), valueSet) })) })),
    exists(query('X', prop(operandRef('C'), 'extension'), { where: conceptIn(valueAsConcept('X'), valueSet) })),
  );
const dateOf = (fnName: 'Condition Status Date' | 'Observation Date', aliasName: string) => dateFrom(fn(fnName, alias(aliasName)));

function tecartusPriorAuth(): Node {
  const statements: Node[] = [
    define('Patient', { type: 'SingletonFrom', operand: retrieve('Patient') }),

    define(
      'Tecartus Medication Orders',
      query('R', retrieve('MedicationRequest'), {
        where: and(statusIs('MedicationRequestStatus', 'R', 'draft'), conceptIn(fn('Drug', prop('R', 'medication')), 'Tecartus Product')),
      }),
    ),
    define(
      'Tecartus Service Orders',
      query('S', retrieve('ServiceRequest'), { where: and(statusIs('ServiceRequestStatus', 'S', 'draft'), conceptIn(prop('S', 'code'), 'Tecartus Product')) }),
    ),
    define('Tecartus Order', first(flatten(list(ref('Tecartus Medication Orders'), ref('Tecartus Service Orders'))))),
    define(
      'Planned Date',
      coalesce(
        first(
          query('D', prop(tecartusOrderAs('MedicationRequest'), 'dosageInstruction'), {
            where: isNotNull(fn('Planned Day', prop('D', 'timing'))),
            returns: fn('Planned Day', prop('D', 'timing')),
          }),
        ),
        toDateTime(as(prop(tecartusOrderAs('ServiceRequest'), 'occurrence'), 'dateTime')),
        toDateTime(prop(as(prop(tecartusOrderAs('ServiceRequest'), 'occurrence'), 'Period'), 'start')),
        fn('Planned Day', as(prop(tecartusOrderAs('ServiceRequest'), 'occurrence'), 'Timing')),
      ),
    ),
    define('Order Date', coalesce(toDateTime(prop(tecartusOrderAs('MedicationRequest'), 'authoredOn')), toDateTime(prop(tecartusOrderAs('ServiceRequest'), 'authoredOn')))),
    define('Date Of Service', coalesce(fn('Full Day', ref('Planned Date')), fn('Full Day', ref('Order Date')), today)),
    define('Birth Date', prop(ref('Patient'), 'birthDate.value')),
    define(
      'Leap Day Birthday Not Yet Reached',
      and(
        equal(component('Month', ref('Birth Date')), int(2)),
        equal(component('Day', ref('Birth Date')), int(29)),
        equal(component('Month', ref('Date Of Service')), int(2)),
        equal(component('Day', ref('Date Of Service')), int(28)),
        equal(component('Month', add(ref('Date Of Service'), quantity(1, 'day'))), int(3)),
      ),
    ),
    define(
      'Age In Years',
      iff(
        ref('Leap Day Birthday Not Yet Reached'),
        subtract(calculateAgeInYearsAt(ref('Birth Date'), ref('Date Of Service')), int(1)),
        calculateAgeInYearsAt(ref('Birth Date'), ref('Date Of Service')),
      ),
    ),

    define(
      'Diagnosed Conditions',
      query('C', ref('Readable Conditions'), {
        where: and(fn('Is Established', alias('C')), or(fn('Is Current', alias('C')), conceptIs(prop('C', 'clinicalStatus'), 'remission'))),
      }),
    ),
    define('Mantle Cell Lymphoma Conditions', query('C', ref('Diagnosed Conditions'), { where: conceptIn(prop('C', 'code'), 'Mantle Cell Lymphoma') })),
    define(
      'Acute Lymphoblastic Leukemia Conditions',
      query('C', ref('Diagnosed Conditions'), { where: or(conceptIn(prop('C', 'code'), 'B-Cell Precursor ALL'), conceptIn(prop('C', 'code'), 'ALL Lineage Not Coded')) }),
    ),
    define(
      'Order For Another Indication',
      or(
        exists(
          query('C', ref('Readable Conditions'), {
            where: and(
              exists(query('R', ref('Order Reason References'), { where: refersTo(alias('R'), 'Condition', 'C') })),
              not(or(conceptIn(prop('C', 'code'), 'Mantle Cell Lymphoma'), conceptIn(prop('C', 'code'), 'B-Cell Precursor ALL'), conceptIn(prop('C', 'code'), 'ALL Lineage Not Coded'))),
            ),
          }),
        ),
        and(
          exists(ref('Order Reason Codings')),
          not(
            exists(
              query('X', ref('Order Reason Codings'), {
                where: or(
                  codingIn(alias('X'), 'Mantle Cell Lymphoma'),
                  codingIn(alias('X'), 'B-Cell Precursor ALL'),
                  codingIn(alias('X'), 'ALL Lineage Not Coded'),
                  codingIn(alias('X'), 'Relapsed Or Refractory Diagnosis'),
                ),
              }),
            ),
          ),
        ),
      ),
    ),
    define('Order Reason References', orderElement('reasonReference')),
    define(
      'Order Reason Codings',
      query('X', flatten(query('R', orderElement('reasonCode'), { where: isNotNull(prop('R', 'coding')), returns: prop('R', 'coding') })), {
        where: inList(uriString(prop('X', 'system')), strings('http://hl7.org/fhir/sid/icd-10-cm', 'http://snomed.info/sct', 'http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl')),
      }),
    ),
    define('Mantle Cell Lymphoma Diagnosis', and(exists(ref('Mantle Cell Lymphoma Conditions')), not(ref('Order For Another Indication')))),
    define('Acute Lymphoblastic Leukemia Diagnosis', and(exists(ref('Acute Lymphoblastic Leukemia Conditions')), not(ref('Order For Another Indication')))),
    define(
      'Qualifying Diagnosis',
      iff(
        ref('Mantle Cell Lymphoma Diagnosis'),
        codeRef('Mantle cell lymphoma'),
        iff(ref('Acute Lymphoblastic Leukemia Diagnosis'), codeRef('Acute lymphoid leukemia'), nullAs(systemType('Code'))),
      ),
    ),

    define('Readable Conditions', query('C', retrieve('Condition'), { where: and(isEvidence('C'), onOrBeforeToday(fn('Condition Date', alias('C')))) })),
    define(
      'Readable Observations',
      query('O', retrieve('Observation'), {
        where: and(not(statusIn('ObservationStatus', 'O', 'entered-in-error', 'cancelled')), onOrBeforeToday(fn('Observation Date', alias('O')))),
      }),
    ),
    define(
      'B-Cell Precursor Lineage Shown',
      or(
        exists(
          query('C', ref('Readable Conditions'), {
            where: or(
              conceptIn(prop('C', 'code'), 'B-Cell Precursor ALL'),
              conceptIn(prop('C', 'code'), 'B-Cell Precursor Morphology'),
              histologyIn('C', 'B-Cell Precursor ALL', 'B-Cell Precursor Morphology'),
            ),
          }),
        ),
        exists(
          query('O', ref('Readable Observations'), {
            where: or(
              conceptIn(prop('O', 'code'), 'B-Cell Precursor ALL'),
              conceptIn(prop('O', 'code'), 'B-Cell Precursor Morphology'),
              conceptIn(valueAsConcept('O'), 'B-Cell Precursor ALL'),
              conceptIn(valueAsConcept('O'), 'B-Cell Precursor Morphology'),
            ),
          }),
        ),
      ),
    ),
    define(
      'Other Lineage Shown',
      or(
        exists(
          query('C', ref('Readable Conditions'), {
            where: or(
              conceptIn(prop('C', 'code'), 'T-Cell Precursor Morphology'),
              conceptIn(prop('C', 'code'), 'Not B-Cell Precursor Morphology'),
              histologyIn('C', 'T-Cell Precursor Morphology', 'Not B-Cell Precursor Morphology'),
            ),
          }),
        ),
        exists(
          query('O', ref('Readable Observations'), {
            where: or(
              conceptIn(prop('O', 'code'), 'T-Cell Precursor Morphology'),
              conceptIn(prop('O', 'code'), 'Not B-Cell Precursor Morphology'),
              conceptIn(valueAsConcept('O'), 'T-Cell Precursor Morphology'),
              conceptIn(valueAsConcept('O'), 'Not B-Cell Precursor Morphology'),
            ),
          }),
        ),
      ),
    ),
    define(
      'B-Cell Precursor Lineage Coded',
      iff(
        and(ref('Acute Lymphoblastic Leukemia Diagnosis'), not(ref('Mantle Cell Lymphoma Diagnosis')), ref('B-Cell Precursor Lineage Shown'), not(ref('Other Lineage Shown'))),
        bool(true),
        nullAs(systemType('Boolean')),
      ),
    ),

    define(
      'Qualifying Conditions',
      iff(
        ref('Mantle Cell Lymphoma Diagnosis'),
        query('C', ref('Readable Conditions'), { where: conceptIn(prop('C', 'code'), 'Mantle Cell Lymphoma') }),
        iff(
          ref('Acute Lymphoblastic Leukemia Diagnosis'),
          query('C', ref('Readable Conditions'), {
            where: and(
              not(conceptIn(prop('C', 'code'), 'Mantle Cell Lymphoma')),
              or(conceptIn(prop('C', 'code'), 'B-Cell Precursor ALL'), conceptIn(prop('C', 'code'), 'ALL Lineage Not Coded')),
            ),
          }),
          nullAs(listOf(fhirNamed('Condition'))),
        ),
      ),
    ),
    define('Current Qualifying Conditions', query('C', ref('Qualifying Conditions'), { where: and(fn('Is Established', alias('C')), fn('Is Current', alias('C'))) })),
    define(
      'Relapsed Qualifying Conditions',
      query('C', ref('Current Qualifying Conditions'), {
        where: or(
          conceptIs(prop('C', 'clinicalStatus'), 'relapse'),
          conceptIs(prop('C', 'clinicalStatus'), 'recurrence'),
          conceptIn(prop('C', 'code'), 'Relapsed Or Refractory Diagnosis'),
          fn('Has Relapse Status', alias('C')),
        ),
      }),
    ),
    define(
      'Standalone Relapse Conditions',
      query('C', retrieve('Condition'), {
        where: and(
          isEvidence('C'),
          fn('Is Established', alias('C')),
          fn('Is Current', alias('C')),
          onOrBeforeToday(fn('Condition Status Date', alias('C'))),
          not(exists(query('Q', ref('Current Qualifying Conditions'), { where: sameId('Q', 'C') }))),
          exists(prop(prop('C', 'code'), 'coding')),
          not(
            exists(
              query('X', prop(prop('C', 'code'), 'coding'), {
                where: not(or(codingIn(alias('X'), 'Relapse Or Refractory Status'), codingIn(alias('X'), 'Relapsed Or Refractory Diagnosis'))),
              }),
            ),
          ),
          or(
            isNull(prop(prop('C', 'code'), 'text')),
            exists(query('X', prop(prop('C', 'code'), 'coding'), { where: equal(stringValue(prop('X', 'display')), stringValue(prop(prop('C', 'code'), 'text'))) })),
          ),
        ),
      }),
    ),
    define(
      'Worsened Disease Status',
      query('O', ref('Readable Observations'), {
        where: and(
          conceptIn(prop('O', 'code'), 'Cancer Disease Status'),
          conceptIn(valueAsConcept('O'), 'Disease Progression'),
          exists(query('F', prop('O', 'focus'), { where: exists(query('C', ref('Current Qualifying Conditions'), { where: refersTo(alias('F'), 'Condition', 'C') })) })),
        ),
      }),
    ),
    define(
      'Remission Conditions',
      query('C', ref('Qualifying Conditions'), {
        where: and(fn('Is Established', alias('C')), or(conceptIs(prop('C', 'clinicalStatus'), 'remission'), fn('Has Remission Status', alias('C')))),
      }),
    ),
    define(
      'Remission Disease Status',
      query('O', ref('Readable Observations'), {
        where: and(
          conceptIn(prop('O', 'code'), 'Cancer Disease Status'),
          conceptIn(valueAsConcept('O'), 'Remission'),
          exists(query('F', prop('O', 'focus'), { where: exists(query('C', ref('Qualifying Conditions'), { where: refersTo(alias('F'), 'Condition', 'C') })) })),
        ),
      }),
    ),
    define(
      'Latest Relapse Date',
      max(
        list(
          max(query('C', ref('Relapsed Qualifying Conditions'), { returns: dateOf('Condition Status Date', 'C') })),
          max(query('C', ref('Standalone Relapse Conditions'), { returns: dateOf('Condition Status Date', 'C') })),
          max(query('O', ref('Worsened Disease Status'), { returns: dateOf('Observation Date', 'O') })),
        ),
      ),
    ),
    define(
      'Latest Remission Date',
      max(
        list(
          max(query('C', ref('Remission Conditions'), { returns: dateOf('Condition Status Date', 'C') })),
          max(query('O', ref('Remission Disease Status'), { returns: dateOf('Observation Date', 'O') })),
        ),
      ),
    ),
    define(
      'Relapse Superseded By Remission',
      and(
        isNotNull(ref('Latest Remission Date')),
        or(isNull(ref('Latest Relapse Date')), coalesce(after(ref('Latest Remission Date'), ref('Latest Relapse Date')), bool(false))),
      ),
    ),
    define(
      'Relapsed Or Refractory Disease Coded',
      iff(
        and(
          or(exists(ref('Relapsed Qualifying Conditions')), exists(ref('Standalone Relapse Conditions')), exists(ref('Worsened Disease Status'))),
          not(ref('Relapse Superseded By Remission')),
        ),
        bool(true),
        nullAs(systemType('Boolean')),
      ),
    ),

    define(
      'Draft Order Sets',
      flatten(
        list(
          query('R', retrieve('MedicationRequest'), {
            where: and(statusIs('MedicationRequestStatus', 'R', 'draft'), isNotNull(prop('R', 'groupIdentifier'))),
            returns: prop('R', 'groupIdentifier'),
          }),
          query('S', retrieve('ServiceRequest'), {
            where: and(statusIs('ServiceRequestStatus', 'S', 'draft'), isNotNull(prop('S', 'requisition'))),
            returns: prop('S', 'requisition'),
          }),
        ),
      ),
    ),
    define(
      'Current Course Medication Order Ids',
      query('R', retrieve('MedicationRequest'), {
        where: or(statusIs('MedicationRequestStatus', 'R', 'draft'), fn('In A Draft Order Set', prop('R', 'groupIdentifier'))),
        distinctReturns: idValue('R'),
      }),
    ),
    define(
      'Current Course Service Order Ids',
      query('S', retrieve('ServiceRequest'), {
        where: or(statusIs('ServiceRequestStatus', 'S', 'draft'), fn('In A Draft Order Set', prop('S', 'requisition'))),
        distinctReturns: idValue('S'),
      }),
    ),
    define(
      'Prior CAR-T Procedures',
      query('P', retrieve('Procedure'), {
        where: and(
          statusIs('ProcedureStatus', 'P', 'completed'),
          fn('Is CAR-T', prop('P', 'code')),
          onOrBeforeToday(fn('Procedure Date', alias('P'))),
          not(or(carriesOut(prop('P', 'basedOn')), carriesOut(prop('P', 'partOf')))),
        ),
      }),
    ),
    define(
      'Prior CAR-T Administrations',
      query('A', retrieve('MedicationAdministration'), {
        where: and(
          statusIs('MedicationAdministrationStatus', 'A', 'completed'),
          fn('Is CAR-T', fn('Drug', prop('A', 'medication'))),
          onOrBeforeToday(coalesce(toDateTime(as(prop('A', 'effective'), 'dateTime')), toDateTime(prop(as(prop('A', 'effective'), 'Period'), 'start')))),
          not(or(carriesOut(list(prop('A', 'request'))), carriesOut(prop('A', 'partOf')))),
        ),
      }),
    ),
    define(
      'Prior CAR-T Statements',
      query('S', retrieve('MedicationStatement'), {
        where: and(
          statusIn('MedicationStatementStatus', 'S', 'active', 'completed', 'stopped'),
          fn('Is CAR-T', fn('Drug', prop('S', 'medication'))),
          onOrBeforeToday(
            coalesce(toDateTime(as(prop('S', 'effective'), 'dateTime')), toDateTime(prop(as(prop('S', 'effective'), 'Period'), 'start')), toDateTime(prop('S', 'dateAsserted'))),
          ),
          not(or(carriesOut(prop('S', 'basedOn')), carriesOut(prop('S', 'partOf')))),
        ),
      }),
    ),
    define(
      'Prior CAR-T Medication Orders',
      query('R', retrieve('MedicationRequest'), {
        where: and(
          statusIs('MedicationRequestStatus', 'R', 'completed'),
          fn('Is CAR-T', fn('Drug', prop('R', 'medication'))),
          onOrBeforeToday(toDateTime(prop('R', 'authoredOn'))),
          not(inList(idValue('R'), ref('Current Course Medication Order Ids'))),
          not(carriesOut(prop('R', 'basedOn'))),
        ),
      }),
    ),
    define(
      'Prior CAR-T Service Orders',
      query('S', retrieve('ServiceRequest'), {
        where: and(
          statusIs('ServiceRequestStatus', 'S', 'completed'),
          fn('Is CAR-T', prop('S', 'code')),
          onOrBeforeToday(
            coalesce(toDateTime(as(prop('S', 'occurrence'), 'dateTime')), toDateTime(prop(as(prop('S', 'occurrence'), 'Period'), 'start')), toDateTime(prop('S', 'authoredOn'))),
          ),
          not(inList(idValue('S'), ref('Current Course Service Order Ids'))),
          not(carriesOut(prop('S', 'basedOn'))),
        ),
      }),
    ),
    define(
      'Prior CAR-T Observations',
      query('O', retrieve('Observation'), {
        where: and(
          statusIn('ObservationStatus', 'O', 'final', 'amended', 'corrected'),
          or(fn('Is CAR-T', prop('O', 'code')), fn('Is CAR-T', valueAsConcept('O'))),
          not(
            or(
              { type: 'IsFalse', operand: toBoolean(as(prop('O', 'value'), 'boolean')) },
              conceptIs(valueAsConcept('O'), 'No'),
              conceptIs(valueAsConcept('O'), 'N'),
            ),
          ),
          onOrBeforeToday(fn('Observation Date', alias('O'))),
          not(or(carriesOut(prop('O', 'basedOn')), carriesOut(prop('O', 'partOf')))),
        ),
      }),
    ),
    define('Prior CAR-T History Conditions', query('C', ref('Readable Conditions'), { where: conceptIn(prop('C', 'code'), 'CAR-T History') })),
    define(
      'Prior CAR-T Therapy Coded',
      iff(
        or(
          exists(ref('Prior CAR-T Procedures')),
          exists(ref('Prior CAR-T Administrations')),
          exists(ref('Prior CAR-T Statements')),
          exists(ref('Prior CAR-T Medication Orders')),
          exists(ref('Prior CAR-T Service Orders')),
          exists(ref('Prior CAR-T Observations')),
          exists(ref('Prior CAR-T History Conditions')),
        ),
        bool(true),
        nullAs(systemType('Boolean')),
      ),
    ),

    define(
      'Order Setting',
      first(
        query('X', flatten(query('C', orderElement('category'), { where: isNotNull(prop('C', 'coding')), returns: prop('C', 'coding') })), {
          where: or(codingIs(alias('X'), 'outpatient'), codingIs(alias('X'), 'community'), codingIs(alias('X'), 'inpatient')),
          returns: iff(codingIs(alias('X'), 'inpatient'), codeRef('inpatient encounter'), codeRef('ambulatory')),
        }),
      ),
    ),
    define(
      'Current Encounters',
      query('E', retrieve('Encounter'), { where: statusIn('EncounterStatus', 'E', 'planned', 'arrived', 'triaged', 'in-progress', 'onleave') }),
    ),
    define(
      'Encounter Of The Order',
      coalesce(first(query('E', retrieve('Encounter'), { where: refersTo(orderElement('encounter'), 'Encounter', 'E') })), first(ref('Current Encounters'))),
    ),
    define(
      'Encounter Setting',
      (() => {
        const encounterClassIs = (code: string) => codingIs(prop(ref('Encounter Of The Order'), 'class'), code);
        return iff(
          or(encounterClassIs('ambulatory'), encounterClassIs('observation encounter'), encounterClassIs('short stay')),
          codeRef('ambulatory'),
          iff(
            or(encounterClassIs('inpatient encounter'), encounterClassIs('inpatient acute'), encounterClassIs('inpatient non-acute')),
            codeRef('inpatient encounter'),
            nullAs(systemType('Code')),
          ),
        );
      })(),
    ),
    define('Administration Setting', coalesce(ref('Order Setting'), ref('Encounter Setting'))),

    defineFunction(
      'Drug',
      operands('Drug', 'medication'),
      coalesce(as(operandRef('medication'), 'CodeableConcept'), prop(fn('Referenced Medication', as(operandRef('medication'), 'Reference')), 'code')),
    ),
    defineFunction(
      'Referenced Medication',
      operands('Referenced Medication', 'reference'),
      first(query('M', retrieve('Medication'), { where: refersTo(operandRef('reference'), 'Medication', 'M') })),
    ),
    defineFunction(
      'Refers To',
      operands('Refers To', 'reference', 'resourceType', 'id'),
      or(
        equal(stringValue(prop(operandRef('reference'), 'reference')), concatenate(operandRef('resourceType'), str('/'), operandRef('id'))),
        endsWith(stringValue(prop(operandRef('reference'), 'reference')), concatenate(str('/'), operandRef('resourceType'), str('/'), operandRef('id'))),
      ),
    ),
    defineFunction(
      'Planned Day',
      operands('Planned Day', 'timing'),
      coalesce(
        min(query('E', prop(operandRef('timing'), 'event'), { returns: prop(alias('E'), 'value') })),
        prop(prop(as(prop(prop(operandRef('timing'), 'repeat'), 'bounds'), 'Period'), 'start'), 'value'),
      ),
    ),
    defineFunction(
      'Full Day',
      operands('Full Day', 'value'),
      iff(isNotNull(component('Day', operandRef('value'))), dateFrom(operandRef('value')), nullAs(systemType('Date'))),
    ),
    defineFunction('On Or Before Today', operands('On Or Before Today', 'value'), coalesce(not(after(dateFrom(operandRef('value')), today)), bool(true))),
    defineFunction(
      'Condition Date',
      operands('Condition Date', 'C'),
      coalesce(
        toDateTime(as(prop(operandRef('C'), 'onset'), 'dateTime')),
        toDateTime(prop(as(prop(operandRef('C'), 'onset'), 'Period'), 'start')),
        toDateTime(prop(operandRef('C'), 'recordedDate')),
      ),
    ),
    defineFunction(
      'Condition Status Date',
      operands('Condition Status Date', 'C'),
      coalesce(
        toDateTime(prop(operandRef('C'), 'recordedDate')),
        toDateTime(as(prop(operandRef('C'), 'onset'), 'dateTime')),
        toDateTime(prop(as(prop(operandRef('C'), 'onset'), 'Period'), 'start')),
      ),
    ),
    defineFunction(
      'Observation Date',
      operands('Observation Date', 'O'),
      coalesce(
        toDateTime(as(prop(operandRef('O'), 'effective'), 'dateTime')),
        toDateTime(prop(as(prop(operandRef('O'), 'effective'), 'Period'), 'start')),
        toDateTimeFromInstant(as(prop(operandRef('O'), 'effective'), 'instant')),
        toDateTimeFromInstant(prop(operandRef('O'), 'issued')),
      ),
    ),
    defineFunction(
      'Procedure Date',
      operands('Procedure Date', 'P'),
      coalesce(
        toDateTime(as(prop(operandRef('P'), 'performed'), 'dateTime')),
        toDateTime(prop(as(prop(operandRef('P'), 'performed'), 'Period'), 'start')),
        toDateTime(prop(as(prop(operandRef('P'), 'performed'), 'Period'), 'end')),
      ),
    ),
    defineFunction(
      'Is Established',
      operands('Is Established', 'C'),
      not(
        or(
          conceptIs(prop(operandRef('C'), 'verificationStatus'), 'provisional'),
          conceptIs(prop(operandRef('C'), 'verificationStatus'), 'differential'),
          conceptIs(prop(operandRef('C'), 'verificationStatus'), 'unconfirmed'),
        ),
      ),
    ),
    defineFunction(
      'Is Current',
      operands('Is Current', 'C'),
      and(
        isNull(prop(operandRef('C'), 'abatement')),
        or(
          isNull(prop(operandRef('C'), 'clinicalStatus')),
          conceptIs(prop(operandRef('C'), 'clinicalStatus'), 'active'),
          conceptIs(prop(operandRef('C'), 'clinicalStatus'), 'relapse'),
          conceptIs(prop(operandRef('C'), 'clinicalStatus'), 'recurrence'),
        ),
      ),
    ),
    defineFunction('Has Relapse Status', operands('Has Relapse Status', 'C'), statusOnCondition('Relapse Or Refractory Status')),
    defineFunction('Has Remission Status', operands('Has Remission Status', 'C'), statusOnCondition('Remission')),
    defineFunction(
      'Is CAR-T',
      operands('Is CAR-T', 'concept'),
      or(conceptIn(operandRef('concept'), 'CAR-T Administration'), conceptIn(operandRef('concept'), 'CAR-T Product')),
    ),
    defineFunction(
      'In A Draft Order Set',
      operands('In A Draft Order Set', 'group'),
      and(
        isNotNull(operandRef('group')),
        exists(
          query('D', ref('Draft Order Sets'), {
            where: and(
              equal(stringValue(prop(alias('D'), 'value')), stringValue(prop(operandRef('group'), 'value'))),
              equal(coalesce(uriString(prop(alias('D'), 'system')), str('')), coalesce(uriString(prop(operandRef('group'), 'system')), str(''))),
            ),
          }),
        ),
      ),
    ),
    defineFunction(
      'Carries Out The Current Course',
      operands('Carries Out The Current Course', 'references'),
      exists(
        query('R', operandRef('references'), {
          where: or(
            exists(query('I', ref('Current Course Medication Order Ids'), { where: fn('Refers To', alias('R'), str('MedicationRequest'), alias('I')) })),
            exists(query('I', ref('Current Course Service Order Ids'), { where: fn('Refers To', alias('R'), str('ServiceRequest'), alias('I')) })),
          ),
        }),
      ),
    ),
  ];

  return library(
    { id: 'TecartusPriorAuth', version: POLICY_VERSION },
    {
      includes: { def: [{ localIdentifier: 'FHIRHelpers', path: 'FHIRHelpers', version: '4.0.1' }] },
      codeSystems: { def: CODE_SYSTEMS.map(([name, id]) => ({ name, id, accessLevel: 'Public' })) },
      valueSets: {
        def: VALUE_SETS.map(([name, codeSet]) => ({ name, id: `${CANONICAL_BASE}/ValueSet/${POLICY_ID}-${codeSet}`, version: POLICY_VERSION, accessLevel: 'Public' })),
      },
      codes: { def: CODES.map(([name, id, codeSystem, display]) => ({ name, id, display, accessLevel: 'Public', codeSystem: { name: codeSystem } })) },
      contexts: { def: [{ name: 'Patient' }] },
      statements: { def: statements },
    },
  );
}

/** Each ELM file of the policy's dtr/ directory and the text this script gives it. */
export function generatedElmFiles(): { file: string; text: string }[] {
  return [
    { file: 'TecartusPriorAuth.elm.json', text: `${JSON.stringify(tecartusPriorAuth(), null, 2)}\n` },
    { file: 'FHIRHelpers.elm.json', text: `${JSON.stringify(fhirHelpers(), null, 2)}\n` },
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const { file, text } of generatedElmFiles()) writeFileSync(join(DTR_DIRECTORY, file), text);
}
