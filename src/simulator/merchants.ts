import { TransactionPaymentChannelEnum as Channel } from './plaid-enums.js';
import type { AccountKind } from './institutions.js';

export interface MerchantTemplate {
  /** The raw statement description (`name`). */
  name: string;
  merchant: string | null;
  website: string | null;
  primary: string;
  detailed: string;
  channel: Channel;
  /** Amount range in cents, before the sign is applied. */
  cents: [number, number];
  /** +1 money out of the account (Plaid's positive), −1 money in. */
  sign: 1 | -1;
  kinds: readonly AccountKind[];
  weight: number;
  /** Likely to gain a tip between pending and posted. */
  tips?: boolean;
}

const SPEND: readonly AccountKind[] = ['checking', 'credit card'];

function spend(
  name: string, merchant: string, website: string | null, primary: string, detailed: string,
  channel: Channel, cents: [number, number], weight: number, tips = false,
): MerchantTemplate {
  return { name, merchant, website, primary, detailed, channel, cents, sign: 1, kinds: SPEND, weight, tips };
}

export const MERCHANTS: readonly MerchantTemplate[] = [
  spend('STARBUCKS STORE 0847', 'Starbucks', 'starbucks.com', 'FOOD_AND_DRINK', 'FOOD_AND_DRINK_COFFEE', Channel.InStore, [3_25, 12_50], 14),
  spend('SQ *BLUE BOTTLE COFFEE', 'Blue Bottle Coffee', 'bluebottlecoffee.com', 'FOOD_AND_DRINK', 'FOOD_AND_DRINK_COFFEE', Channel.InStore, [4_00, 11_00], 5),
  spend('CHIPOTLE 1249', 'Chipotle Mexican Grill', 'chipotle.com', 'FOOD_AND_DRINK', 'FOOD_AND_DRINK_FAST_FOOD', Channel.InStore, [9_50, 32_00], 8),
  spend('TST* SHAKE SHACK', 'Shake Shack', 'shakeshack.com', 'FOOD_AND_DRINK', 'FOOD_AND_DRINK_FAST_FOOD', Channel.InStore, [12_00, 45_00], 4, true),
  spend('THE GRAY DOG RESTAURANT', 'The Gray Dog', null, 'FOOD_AND_DRINK', 'FOOD_AND_DRINK_RESTAURANT', Channel.InStore, [25_00, 160_00], 6, true),
  spend('UBER   *EATS PENDING', 'Uber Eats', 'ubereats.com', 'FOOD_AND_DRINK', 'FOOD_AND_DRINK_RESTAURANT', Channel.Online, [18_00, 75_00], 6, true),
  spend('WHOLEFDS MKT 10234', 'Whole Foods Market', 'wholefoodsmarket.com', 'FOOD_AND_DRINK', 'FOOD_AND_DRINK_GROCERIES', Channel.InStore, [15_00, 240_00], 10),
  spend('TRADER JOE S #552', "Trader Joe's", 'traderjoes.com', 'FOOD_AND_DRINK', 'FOOD_AND_DRINK_GROCERIES', Channel.InStore, [12_00, 180_00], 9),
  spend('AMAZON.COM*2K4LM0', 'Amazon', 'amazon.com', 'GENERAL_MERCHANDISE', 'GENERAL_MERCHANDISE_ONLINE_MARKETPLACES', Channel.Online, [5_99, 420_00], 12),
  spend('TARGET        00012345', 'Target', 'target.com', 'GENERAL_MERCHANDISE', 'GENERAL_MERCHANDISE_SUPERSTORES', Channel.InStore, [8_00, 260_00], 7),
  spend('APPLE.COM/BILL', 'Apple', 'apple.com', 'GENERAL_MERCHANDISE', 'GENERAL_MERCHANDISE_ELECTRONICS', Channel.Online, [99, 29_99], 5),
  spend('UBER   *TRIP', 'Uber', 'uber.com', 'TRANSPORTATION', 'TRANSPORTATION_TAXIS_AND_RIDE_SHARES', Channel.Online, [7_50, 68_00], 8, true),
  spend('LYFT   *RIDE SUN 5PM', 'Lyft', 'lyft.com', 'TRANSPORTATION', 'TRANSPORTATION_TAXIS_AND_RIDE_SHARES', Channel.Online, [6_50, 55_00], 4, true),
  spend('SHELL OIL 57444', 'Shell', 'shell.com', 'TRANSPORTATION', 'TRANSPORTATION_GAS', Channel.InStore, [25_00, 95_00], 6),
  spend('NETFLIX.COM', 'Netflix', 'netflix.com', 'ENTERTAINMENT', 'ENTERTAINMENT_TV_AND_MOVIES', Channel.Online, [6_99, 22_99], 3),
  spend('SPOTIFY USA', 'Spotify', 'spotify.com', 'ENTERTAINMENT', 'ENTERTAINMENT_MUSIC_AND_AUDIO', Channel.Online, [10_99, 16_99], 3),
  spend('UNITED AIRLINES 0162', 'United Airlines', 'united.com', 'TRAVEL', 'TRAVEL_FLIGHTS', Channel.Online, [89_00, 1_450_00], 1),
  spend('MARRIOTT HOTELS', 'Marriott', 'marriott.com', 'TRAVEL', 'TRAVEL_LODGING', Channel.InStore, [120_00, 980_00], 1),
  spend('CVS/PHARMACY #04412', 'CVS', 'cvs.com', 'MEDICAL', 'MEDICAL_PHARMACIES_AND_SUPPLEMENTS', Channel.InStore, [4_00, 85_00], 4),
  spend('PLANET FITNESS', 'Planet Fitness', 'planetfitness.com', 'PERSONAL_CARE', 'PERSONAL_CARE_GYMS_AND_FITNESS_CENTERS', Channel.Other, [10_00, 24_99], 2),
  spend('COMCAST CABLE COMM', 'Comcast', 'xfinity.com', 'RENT_AND_UTILITIES', 'RENT_AND_UTILITIES_INTERNET_AND_CABLE', Channel.Online, [49_99, 189_99], 2),
  spend('PG&E WEB ONLINE', 'PG&E', 'pge.com', 'RENT_AND_UTILITIES', 'RENT_AND_UTILITIES_GAS_AND_ELECTRICITY', Channel.Online, [35_00, 260_00], 2),
  {
    name: 'ACH Electronic CreditGUSTO PAY 123456', merchant: 'Gusto', website: 'gusto.com', primary: 'INCOME', detailed: 'INCOME_WAGES',
    channel: Channel.Other, cents: [1_800_00, 6_500_00], sign: -1, kinds: ['checking'], weight: 3,
  },
  {
    name: 'INTEREST PAYMENT', merchant: null, website: null, primary: 'INCOME', detailed: 'INCOME_INTEREST_EARNED',
    channel: Channel.Other, cents: [5, 45_00], sign: -1, kinds: ['savings'], weight: 4,
  },
  {
    name: 'ONLINE TRANSFER FROM CHECKING', merchant: null, website: null, primary: 'TRANSFER_IN', detailed: 'TRANSFER_IN_ACCOUNT_TRANSFER',
    channel: Channel.Other, cents: [50_00, 2_000_00], sign: -1, kinds: ['savings'], weight: 3,
  },
  {
    name: 'ONLINE TRANSFER TO SAVINGS', merchant: null, website: null, primary: 'TRANSFER_OUT', detailed: 'TRANSFER_OUT_ACCOUNT_TRANSFER',
    channel: Channel.Other, cents: [50_00, 2_000_00], sign: 1, kinds: ['checking', 'savings'], weight: 2,
  },
  {
    name: 'ATM WITHDRAWAL 4471 MAIN ST', merchant: null, website: null, primary: 'TRANSFER_OUT', detailed: 'TRANSFER_OUT_WITHDRAWAL',
    channel: Channel.InStore, cents: [20_00, 400_00], sign: 1, kinds: ['checking'], weight: 2,
  },
  {
    name: 'AUTOMATIC PAYMENT - THANK YOU', merchant: null, website: null, primary: 'LOAN_PAYMENTS', detailed: 'LOAN_PAYMENTS_CREDIT_CARD_PAYMENT',
    channel: Channel.Other, cents: [100_00, 3_500_00], sign: -1, kinds: ['credit card'], weight: 2,
  },
  {
    name: 'PAYMENT RECEIVED', merchant: null, website: null, primary: 'LOAN_PAYMENTS', detailed: 'LOAN_PAYMENTS_STUDENT_LOAN_PAYMENT',
    channel: Channel.Other, cents: [150_00, 900_00], sign: -1, kinds: ['student'], weight: 3,
  },
  {
    name: 'INTEREST CHARGED', merchant: null, website: null, primary: 'BANK_FEES', detailed: 'BANK_FEES_INTEREST_CHARGE',
    channel: Channel.Other, cents: [5_00, 180_00], sign: 1, kinds: ['student', 'credit card'], weight: 1,
  },
];

export const CITIES: readonly { city: string; region: string; postal: string; lat: number; lon: number }[] = [
  { city: 'San Francisco', region: 'CA', postal: '94103', lat: 37.7749, lon: -122.4194 },
  { city: 'New York', region: 'NY', postal: '10001', lat: 40.7506, lon: -73.9972 },
  { city: 'Austin', region: 'TX', postal: '78701', lat: 30.2711, lon: -97.7437 },
  { city: 'Chicago', region: 'IL', postal: '60601', lat: 41.8864, lon: -87.6186 },
  { city: 'Seattle', region: 'WA', postal: '98101', lat: 47.6101, lon: -122.3344 },
];
